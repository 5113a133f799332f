// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/ERC20.sol";

// Test-only contracts that emit the real event signatures and answer the real read calls the
// listener datasets use. Event and function signatures are copied from the deployed sources:
// dhedge/V2-Public PoolLogic.sol, mStable/dHEDGE IncentivisedVotingLockup.sol,
// curvefi/curve-contract pools (int128 ids) and curve crypto pools (uint256 ids),
// OpenZeppelin Governor (IGovernor.sol). State is minimal: enough to be read back.

contract MockPoolLogic is ERC20 {
    struct WithdrawnAsset {
        address asset;
        uint256 amount;
        bool externalWithdrawProcessed;
    }

    event Deposit(address fundAddress, address investor, address assetDeposited, uint256 amountDeposited,
        uint256 valueDeposited, uint256 fundTokensReceived, uint256 totalInvestorFundTokens, uint256 fundValue,
        uint256 totalSupply, uint256 time);
    event Withdrawal(address fundAddress, address investor, uint256 valueWithdrawn, uint256 fundTokensWithdrawn,
        uint256 totalInvestorFundTokens, uint256 fundValue, uint256 totalSupply, WithdrawnAsset[] withdrawnAssets,
        uint256 time);

    uint256 public tokenPrice = 1e18;

    constructor() ERC20("Pool", "POOL") {}

    function setTokenPrice(uint256 p) external { tokenPrice = p; }

    function deposit(address investor, address asset, uint256 amount, uint256 value, uint256 tokens) external {
        _mint(investor, tokens);
        emit Deposit(address(this), investor, asset, amount, value, tokens, balanceOf(investor),
            totalSupply() * tokenPrice / 1e18, totalSupply(), block.timestamp);
    }

    function withdraw(address investor, uint256 tokens, address[] calldata assets, uint256[] calldata amounts)
        external
    {
        _burn(investor, tokens);
        WithdrawnAsset[] memory w = new WithdrawnAsset[](assets.length);
        for (uint256 i = 0; i < assets.length; i++) {
            w[i] = WithdrawnAsset(assets[i], amounts[i], i % 2 == 1);
        }
        emit Withdrawal(address(this), investor, tokens * tokenPrice / 1e18, tokens, balanceOf(investor),
            totalSupply() * tokenPrice / 1e18, totalSupply(), w, block.timestamp);
    }

    function move(address from, address to, uint256 tokens) external { _transfer(from, to, tokens); }
}

contract MockVotingLockup {
    enum LockAction { CREATE_LOCK, INCREASE_LOCK_AMOUNT, INCREASE_LOCK_TIME }

    event Deposit(address indexed provider, uint256 value, uint256 locktime, LockAction indexed action, uint256 ts);
    event Withdraw(address indexed provider, uint256 value, uint256 ts);

    struct Point { uint256 blk; uint256 bal; }
    mapping(address => Point[]) internal history;

    function _record(address who, uint256 bal) internal {
        Point[] storage h = history[who];
        if (h.length > 0 && h[h.length - 1].blk == block.number) h[h.length - 1].bal = bal;
        else h.push(Point(block.number, bal));
    }

    function lock(address who, uint256 value, uint256 unlockTime, uint8 action, uint256 power) external {
        _record(who, power);
        emit Deposit(who, value, unlockTime, LockAction(action), block.timestamp);
    }

    function withdraw(address who, uint256 value) external {
        _record(who, 0);
        emit Withdraw(who, value, block.timestamp);
    }

    function balanceOfAt(address owner, uint256 blockNumber) external view returns (uint256) {
        require(blockNumber <= block.number, "future block");
        Point[] storage h = history[owner];
        for (uint256 i = h.length; i > 0; i--) {
            if (h[i - 1].blk <= blockNumber) return h[i - 1].bal;
        }
        return 0;
    }
}

// Old-style Vyper stable pool: int128 ids, balances(int128), coins(int128).
contract MockCurvePool {
    event TokenExchange(address indexed buyer, int128 sold_id, uint256 tokens_sold, int128 bought_id, uint256 tokens_bought);
    event TokenExchangeUnderlying(address indexed buyer, int128 sold_id, uint256 tokens_sold, int128 bought_id, uint256 tokens_bought);

    address[] internal _coins;
    uint256[] internal _balances;

    constructor(address[] memory coins_, uint256[] memory balances_) { _coins = coins_; _balances = balances_; }

    function coins(int128 i) external view returns (address) { return _coins[uint256(int256(i))]; }
    function balances(int128 i) external view returns (uint256) { return _balances[uint256(int256(i))]; }

    function exchange(address buyer, int128 i, int128 j, uint256 dx, uint256 dy, bool underlying) external {
        _balances[uint256(int256(i))] += dx;
        _balances[uint256(int256(j))] -= dy;
        if (underlying) emit TokenExchangeUnderlying(buyer, i, dx, j, dy);
        else emit TokenExchange(buyer, i, dx, j, dy);
    }
}

// Crypto pool: uint256 ids, balances(uint256), coins(uint256).
contract MockCryptoPool {
    event TokenExchange(address indexed buyer, uint256 sold_id, uint256 tokens_sold, uint256 bought_id, uint256 tokens_bought);
    event TokenExchangeUnderlying(address indexed buyer, uint256 sold_id, uint256 tokens_sold, uint256 bought_id, uint256 tokens_bought);

    address[] internal _coins;
    uint256[] internal _balances;

    constructor(address[] memory coins_, uint256[] memory balances_) { _coins = coins_; _balances = balances_; }

    function coins(uint256 i) external view returns (address) { return _coins[i]; }
    function balances(uint256 i) external view returns (uint256) { return _balances[i]; }

    function exchange(address buyer, uint256 i, uint256 j, uint256 dx, uint256 dy, bool underlying) external {
        _balances[i] += dx;
        _balances[j] -= dy;
        if (underlying) emit TokenExchangeUnderlying(buyer, i, dx, j, dy);
        else emit TokenExchange(buyer, i, dx, j, dy);
    }
}

contract MockGovernor {
    event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason);
    event VoteCastWithParams(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason, bytes params);

    function vote(address voter, uint256 proposalId, uint8 support, uint256 weight, string calldata reason,
        bytes calldata params) external
    {
        if (params.length == 0) emit VoteCast(voter, proposalId, support, weight, reason);
        else emit VoteCastWithParams(voter, proposalId, support, weight, reason, params);
    }
}

// Emits many Transfers per call: the indexer bench needs ≥ 200,000 logs quickly.
contract TransferSpammer {
    event Transfer(address indexed from, address indexed to, uint256 value);

    function spam(uint256 n, uint256 seed) external {
        for (uint256 i = 0; i < n; i++) {
            emit Transfer(address(uint160(seed + i)), address(uint160(seed * 7 + i)), (seed << 128) + i);
        }
    }
}
