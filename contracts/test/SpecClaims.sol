// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// Test harnesses for spec'd trees (issue 16), verifying with OpenZeppelin's MerkleProof
/// (sorted-pair hashing) as the real distributors do.

/// Merkl-shaped (AngleProtocol merkl-contracts Distributor.sol `claim`): one root for every
/// token; leaf = keccak256(abi.encode(user, token, amount)) hashed once; amounts are
/// cumulative per (user, token) and the contract pays the difference to what was claimed.
contract MerklShapedClaim {
    bytes32 public root;
    mapping(address => mapping(address => uint256)) public claimed;

    constructor(bytes32 root_) { root = root_; }

    function claim(address[] calldata users, address[] calldata tokens, uint256[] calldata amounts,
                   bytes32[][] calldata proofs) external {
        require(users.length == tokens.length && users.length == amounts.length
                && users.length == proofs.length, "invalid length");
        for (uint256 i = 0; i < users.length; i++) {
            bytes32 leaf = keccak256(abi.encode(users[i], tokens[i], amounts[i]));
            require(MerkleProof.verifyCalldata(proofs[i], root, leaf), "invalid proof");
            uint256 due = amounts[i] - claimed[users[i]][tokens[i]];
            require(due > 0, "nothing to claim");
            claimed[users[i]][tokens[i]] = amounts[i];
            require(IERC20(tokens[i]).transfer(users[i], due), "transfer failed");
        }
    }
}

/// ENS-EP2-shaped (ensdomains/governance-contracts ENSToken.sol `claimTokens`): the claimant
/// is msg.sender, leaf = keccak256(abi.encodePacked(msg.sender, amount)), and the proof is
/// the sharded tree's full proof (sub-tree, then top tree) against the one top root.
contract ShardedClaim {
    IERC20 public immutable token;
    bytes32 public immutable root;
    mapping(address => bool) public claimed;

    constructor(IERC20 token_, bytes32 root_) { token = token_; root = root_; }

    function claimTokens(uint256 amount, bytes32[] calldata proof) external {
        require(!claimed[msg.sender], "already claimed");
        bytes32 leaf = keccak256(abi.encodePacked(msg.sender, amount));
        require(MerkleProof.verifyCalldata(proof, root, leaf), "invalid proof");
        claimed[msg.sender] = true;
        require(token.transfer(msg.sender, amount), "transfer failed");
    }
}

/// The leaf Solidity computes for every ABI type a spec may declare, in both encodings, so
/// the tests compare `tree build`'s leaves with the compiler's own abi.encode/encodePacked.
contract LeafEncodings {
    function packed(address a, uint96 u, int32 i, bool b, bytes32 h, bytes4 s4, string memory s,
                    address[] memory arr, uint256[] memory nums, int256[] memory ints)
        external pure returns (bytes32) {
        return keccak256(abi.encodePacked(a, u, i, b, h, s4, s, arr, nums, ints));
    }

    function encoded(address a, uint96 u, int32 i, bool b, bytes32 h, bytes4 s4, string memory s,
                     address[] memory arr, uint256[] memory nums, int256[] memory ints)
        external pure returns (bytes32) {
        return keccak256(abi.encode(a, u, i, b, h, s4, s, arr, nums, ints));
    }

    function doubled(address a, uint96 u, int32 i, bool b, bytes32 h, bytes4 s4)
        external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(a, u, i, b, h, s4))));
    }
}
