// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Cumulative Merkle distributor: one root per epoch, each claim pays the difference.
/// @notice Every root commits to each account's all-time total (the `packed` scheme, dYdX MD1
/// style: leaf = keccak256(abi.encodePacked(account, cumulativeAmount)), sorted-pair hashing; or,
/// chosen at deployment, OpenZeppelin StandardMerkleTree's double-hashed
/// keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))). A claim pays
/// `cumulativeAmount - claimed[account]`, so a new epoch's root replaces the old one without
/// double payment and without per-epoch bitmaps (cf. 1inch CumulativeMerkleDrop, dYdX MD1).
/// The claimer names the root it proves against (`expectedRoot`): a claim racing a root update
/// fails clearly instead of being checked against a root it was not built for.
/// After the current root's expiry, claims stop and the owner may claw back the balance.
contract CumulativeMerkleDistributor is Ownable {
    using SafeERC20 for IERC20;

    /// Leaf encodings; must match the manifest's `scheme` (checked by `epochdrop publish`).
    enum LeafFormat { Packed, OpenZeppelin }

    IERC20 public immutable token;
    LeafFormat public immutable leafFormat;

    bytes32 public merkleRoot;
    /// Unix seconds after which claims stop and clawback opens; 0 = never expires.
    uint64 public expiry;
    /// Sum of everything paid out, so an operator can check funding: balance + totalClaimed
    /// must cover the cumulative total of the next root.
    uint256 public totalClaimed;
    mapping(address => uint256) public cumulativeClaimed;

    event MerkleRootUpdated(bytes32 indexed oldRoot, bytes32 indexed newRoot, uint64 expiry);
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount);
    event ClawedBack(address indexed to, uint256 amount);

    error SameRoot();
    error RootChanged(bytes32 current);
    error InvalidProof();
    error NothingToClaim();
    error Expired();
    error NotExpired();

    constructor(IERC20 token_, LeafFormat leafFormat_, address owner_) Ownable(owner_) {
        token = token_;
        leafFormat = leafFormat_;
    }

    /// The tree scheme name as epochdrop's manifests spell it.
    function scheme() external view returns (string memory) {
        return leafFormat == LeafFormat.Packed ? "packed" : "oz";
    }

    /// Set the next epoch's root. Re-setting the current root is refused: it is always an
    /// operator mistake (a re-run publish), and refusing makes it visible.
    function setMerkleRoot(bytes32 newRoot, uint64 newExpiry) external onlyOwner {
        bytes32 old = merkleRoot;
        if (newRoot == old) revert SameRoot();
        merkleRoot = newRoot;
        expiry = newExpiry;
        emit MerkleRootUpdated(old, newRoot, newExpiry);
    }

    function leaf(address account, uint256 cumulativeAmount) public view returns (bytes32) {
        if (leafFormat == LeafFormat.Packed) {
            return keccak256(abi.encodePacked(account, cumulativeAmount));
        }
        return keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
    }

    /// Pay `account` whatever its cumulative amount exceeds what it was already paid.
    /// Anyone may submit the claim; tokens always go to `account`.
    function claim(address account, uint256 cumulativeAmount, bytes32 expectedRoot, bytes32[] calldata proof)
        external
        returns (uint256 paid)
    {
        bytes32 root = merkleRoot;
        if (expectedRoot != root) revert RootChanged(root);
        if (expiry != 0 && block.timestamp >= expiry) revert Expired();
        if (!MerkleProof.verifyCalldata(proof, root, leaf(account, cumulativeAmount))) revert InvalidProof();
        uint256 before = cumulativeClaimed[account];
        if (cumulativeAmount <= before) revert NothingToClaim();
        paid = cumulativeAmount - before;
        cumulativeClaimed[account] = cumulativeAmount;
        totalClaimed += paid;
        token.safeTransfer(account, paid);
        emit Claimed(account, paid, cumulativeAmount);
    }

    /// What `account` could claim now with a proof for `cumulativeAmount` (no proof check).
    function claimable(address account, uint256 cumulativeAmount) external view returns (uint256) {
        uint256 before = cumulativeClaimed[account];
        return cumulativeAmount > before ? cumulativeAmount - before : 0;
    }

    /// After expiry the unclaimed balance goes back to the owner.
    function clawback() external onlyOwner returns (uint256 amount) {
        if (expiry == 0 || block.timestamp < expiry) revert NotExpired();
        amount = token.balanceOf(address(this));
        token.safeTransfer(owner(), amount);
        emit ClawedBack(owner(), amount);
    }
}
