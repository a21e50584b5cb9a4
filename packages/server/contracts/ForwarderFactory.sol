// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DepositForwarder, ISweepTokenSource} from "./DepositForwarder.sol";

/// @title ForwarderFactory: computes deposit addresses and sweeps them to their treasury.
/// @notice Ownerless and without storage, so that it can sit at the same address on every chain
/// (deployed through the deterministic-deployment proxy). Deposit address i of treasury T is the
/// CREATE2 address of `DepositForwarder(T)` with salt keccak256(abi.encode(T, i)). `sweep` creates
/// each listed forwarder, whose constructor flushes the listed tokens and the native coin to T and
/// removes itself. Anyone may call it: naming another treasury only yields other (empty) addresses.
contract ForwarderFactory is ISweepTokenSource {
    /// @notice A forwarder could not be created (its address is in use by code that stayed).
    error ForwarderCreationFailed(uint256 index);
    /// @notice `sweep` was entered again while it was running (a token calling back).
    error SweepInProgress();

    // Transient storage (EIP-1153): the token list of the running sweep, read by each forwarder's
    // constructor. Slot 0 holds the length (+1 while a sweep runs), slot 1 + k the k-th token.
    uint256 private constant TOKENS_SLOT = 0x5ee9;

    /// @notice The tokens that the forwarder being created must flush (called by its constructor).
    function sweepTokens() external view returns (address[] memory tokens) {
        assembly {
            let marked := tload(TOKENS_SLOT)
            let length := 0
            if marked { length := sub(marked, 1) }
            tokens := mload(0x40)
            mstore(tokens, length)
            for { let k := 0 } lt(k, length) { k := add(k, 1) } {
                mstore(add(tokens, mul(add(k, 1), 0x20)), tload(add(TOKENS_SLOT, add(k, 1))))
            }
            mstore(0x40, add(tokens, mul(add(length, 1), 0x20)))
        }
    }

    /// @notice The deposit address `index` of `treasury` (whether or not it has ever been created).
    function forwarderAddress(address treasury, uint256 index) external view returns (address) {
        bytes32 hash = keccak256(
            abi.encodePacked(
                bytes1(0xff),
                address(this),
                keccak256(abi.encode(treasury, index)),
                keccak256(abi.encodePacked(type(DepositForwarder).creationCode, abi.encode(treasury)))
            )
        );
        return address(uint160(uint256(hash)));
    }

    /// @notice Sweeps deposit addresses `indexes` of `treasury`: every token of `tokens` each holds,
    /// and all its native coin, goes to `treasury`, in this one transaction.
    function sweep(address treasury, uint256[] calldata indexes, address[] calldata tokens) external {
        if (tload(TOKENS_SLOT) != 0) revert SweepInProgress();
        assembly {
            tstore(TOKENS_SLOT, add(tokens.length, 1))
            for { let k := 0 } lt(k, tokens.length) { k := add(k, 1) } {
                tstore(add(TOKENS_SLOT, add(k, 1)), calldataload(add(tokens.offset, mul(k, 0x20))))
            }
        }
        bytes memory initCode = abi.encodePacked(type(DepositForwarder).creationCode, abi.encode(treasury));
        for (uint256 i = 0; i < indexes.length; ++i) {
            bytes32 salt = keccak256(abi.encode(treasury, indexes[i]));
            address created;
            assembly {
                created := create2(0, add(initCode, 0x20), mload(initCode), salt)
            }
            if (created == address(0)) revert ForwarderCreationFailed(indexes[i]);
        }
        assembly {
            tstore(TOKENS_SLOT, 0)
        }
    }

    function tload(uint256 slot) private view returns (uint256 value) {
        assembly {
            value := tload(slot)
        }
    }
}
