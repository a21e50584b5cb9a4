// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice What a forwarder asks its deployer: the tokens to flush in this sweep.
interface ISweepTokenSource {
    /// @return tokens the ERC-20 contracts that the forwarder being created must flush.
    function sweepTokens() external view returns (address[] memory tokens);
}

/// @title DepositForwarder: one session's deposit address, living only for the length of a sweep.
/// @notice Its creation code fixes the treasury; its constructor sends every listed token it holds
/// and all of its native coin there, then self-destructs. It never has runtime code: created and
/// destroyed in the same transaction (EIP-6780), the account is deleted, so the same address can be
/// created again by a later sweep when more money arrives. There is no function, no owner and no
/// other destination: whoever triggers the sweep, the money can only reach `treasury`.
contract DepositForwarder {
    using SafeERC20 for IERC20;

    /// @notice Emitted when native coin is forwarded (SELFDESTRUCT itself writes no log).
    event NativeForwarded(address indexed treasury, uint256 amount);

    /// @param treasury where everything this address holds goes; part of the CREATE2 address.
    constructor(address payable treasury) payable {
        address[] memory tokens = ISweepTokenSource(msg.sender).sweepTokens();
        for (uint256 i = 0; i < tokens.length; ++i) {
            IERC20 token = IERC20(tokens[i]);
            uint256 amount = token.balanceOf(address(this));
            // SafeERC20 accepts tokens that return nothing (Ethereum USDT) and reverts on `false`.
            if (amount != 0) token.safeTransfer(treasury, amount);
        }
        uint256 native = address(this).balance;
        if (native != 0) emit NativeForwarded(treasury, native);
        // Sends the native coin without running the treasury's code (no 2,300-gas stipend issue,
        // works for a Safe), and, in the creating transaction, deletes the account (EIP-6780).
        selfdestruct(treasury);
    }
}
