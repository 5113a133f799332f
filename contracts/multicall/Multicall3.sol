// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The read half of Multicall3's interface (mds1/multicall, deployed on most EVM chains at
/// 0xcA11bde05977b3631167028862bE2a173976CA11): `aggregate3` and `getBlockNumber` with the same
/// selectors and ABI. Written here, not copied, for the chains epochdrop starts itself (the
/// embedded demo chain and anvil in tests), where the snapshot reader places its runtime code at
/// the canonical address; on real chains the canonical deployment answers the same calls.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// Each call in order; a failing call reverts the whole batch unless it allows failure.
    function aggregate3(Call3[] calldata calls) public payable returns (Result[] memory returnData) {
        uint256 n = calls.length;
        returnData = new Result[](n);
        for (uint256 i = 0; i < n; ++i) {
            Call3 calldata c = calls[i];
            (bool ok, bytes memory ret) = c.target.call(c.callData);
            require(ok || c.allowFailure, "Multicall3: call failed");
            returnData[i] = Result(ok, ret);
        }
    }

    function getBlockNumber() public view returns (uint256 blockNumber) {
        blockNumber = block.number;
    }
}
