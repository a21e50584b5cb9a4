// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NoReturnToken: an ERC-20 shaped like Ethereum's USDT, for tests only.
/// @notice `transfer` and `transferFrom` return nothing (USDT's non-standard signature), so a caller
/// that expects a bool reverts on decoding; anyone can mint. Never deploy this outside a test node.
contract NoReturnToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function transfer(address to, uint256 value) external {
        require(balanceOf[msg.sender] >= value, "balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
    }
}
