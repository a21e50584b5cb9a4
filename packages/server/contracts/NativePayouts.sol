// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NativePayouts: pays a batch of native-coin (ETH, …) payouts in one call, one event each.
/// @notice Ownerless, without storage, and it never keeps coin: each call must bring exactly the sum
/// it pays out (checked before anything is sent), so a recipient that calls back can only pay with
/// its own coin. Deployed through the deterministic-deployment proxy, so it has the same address on
/// every chain. The event is what lets the server find a payout on chain with `eth_getLogs`, as it
/// finds an ERC-20 payout by its `Transfer`: a plain coin transfer leaves no log.
contract NativePayouts {
    /// @notice `from` (the caller: the payout key, the signer of an export, or a Safe) paid `value`
    /// to `to`.
    event NativePayout(address indexed from, address indexed to, uint256 value);

    /// @notice `to` and `amounts` have different lengths.
    error LengthMismatch();
    /// @notice The call brought `value` but the amounts add up to `total`.
    error ValueMismatch(uint256 total, uint256 value);
    /// @notice Recipient `index` refused the coin (its code reverted): the whole batch reverts.
    error PayoutFailed(uint256 index);

    /// @notice Sends `amounts[k]` to `to[k]` for every k; `msg.value` must be their sum.
    /// @dev Recipients get all remaining gas, so a Safe or another contract wallet can receive.
    function pay(address[] calldata to, uint256[] calldata amounts) external payable {
        uint256 n = to.length;
        if (amounts.length != n) revert LengthMismatch();
        uint256 total;
        for (uint256 k; k < n; ++k) total += amounts[k];
        if (total != msg.value) revert ValueMismatch(total, msg.value);
        for (uint256 k; k < n; ++k) {
            (bool ok, ) = payable(to[k]).call{value: amounts[k]}("");
            if (!ok) revert PayoutFailed(k);
            emit NativePayout(msg.sender, to[k], amounts[k]);
        }
    }
}
