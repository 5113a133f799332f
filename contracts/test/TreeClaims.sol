// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// Test harnesses: the smallest claim contracts for each EVM tree scheme, verifying with
/// OpenZeppelin's MerkleProof (sorted-pair hashing), so that `tree build` output is
/// checked by the same code that real distributors run.

/// `oz` scheme, cumulative: leaf = keccak256(bytes.concat(keccak256(abi.encode(account,
/// amount)))) as OpenZeppelin's merkle-tree README prescribes; `amount` is the all-time
/// total and the contract pays the difference to what was already claimed.
contract OzCumulativeClaim {
    IERC20 public immutable token;
    bytes32 public root;
    mapping(address => uint256) public claimed;

    constructor(IERC20 token_, bytes32 root_) { token = token_; root = root_; }

    function setRoot(bytes32 root_) external { root = root_; }

    function claim(address account, uint256 amount, bytes32[] calldata proof) external {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        require(MerkleProof.verifyCalldata(proof, root, leaf), "invalid proof");
        uint256 due = amount - claimed[account];
        require(due > 0, "nothing to claim");
        claimed[account] = amount;
        require(token.transfer(account, due), "transfer failed");
    }
}

/// `uniswap` scheme: Uniswap MerkleDistributor.sol's leaf and claimed bitmap.
contract UniswapClaim {
    IERC20 public immutable token;
    bytes32 public immutable root;
    mapping(uint256 => uint256) private claimedBitMap;

    constructor(IERC20 token_, bytes32 root_) { token = token_; root = root_; }

    function isClaimed(uint256 index) public view returns (bool) {
        return claimedBitMap[index / 256] & (1 << (index % 256)) != 0;
    }

    function claim(uint256 index, address account, uint256 amount, bytes32[] calldata proof) external {
        require(!isClaimed(index), "already claimed");
        bytes32 leaf = keccak256(abi.encodePacked(index, account, amount));
        require(MerkleProof.verifyCalldata(proof, root, leaf), "invalid proof");
        claimedBitMap[index / 256] |= 1 << (index % 256);
        require(token.transfer(account, amount), "transfer failed");
    }
}

/// `packed` scheme: leaf = keccak256(abi.encodePacked(account, amount)) (dYdX MD1, Balancer).
contract PackedClaim {
    IERC20 public immutable token;
    bytes32 public immutable root;
    mapping(address => bool) public claimed;

    constructor(IERC20 token_, bytes32 root_) { token = token_; root = root_; }

    function claim(address account, uint256 amount, bytes32[] calldata proof) external {
        require(!claimed[account], "already claimed");
        bytes32 leaf = keccak256(abi.encodePacked(account, amount));
        require(MerkleProof.verifyCalldata(proof, root, leaf), "invalid proof");
        claimed[account] = true;
        require(token.transfer(account, amount), "transfer failed");
    }
}
