//! A small, strict CIDR parser on `std::net`, for `aws:SourceIp` ranges.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::PolicyError;

/// An IPv4 or IPv6 network in canonical form: host bits are zero.
///
/// Ordering is IPv4 before IPv6, then by address, then by prefix length; that is
/// the order ranges appear in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    addr: IpAddr,
    prefix_len: u8,
}

impl Cidr {
    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length: 0–32 for IPv4, 0–128 for IPv6.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }
}

impl fmt::Display for Cidr {
    /// `address/length`, IPv6 in RFC 5952 form (lower case, `::` compression).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

/// Parses `address/length` (IPv4 or IPv6) strictly.
///
/// The prefix length is required (write `/32` or `/128` for one address) and
/// must be plain decimal within the family's range. Only the canonical network
/// address is accepted: `10.0.0.5/24` is refused rather than silently read as
/// `10.0.0.0/24`, because the author more often meant the single host
/// `10.0.0.5/32`, and widening an IP allow-list by guess is a security decision
/// the provider must not make. The error names both readings. Accepted IPv6
/// input is printed back in canonical form, so `2001:DB8:0::/32` and
/// `2001:db8::/32` are the same range.
pub fn parse_cidr(value: &str) -> Result<Cidr, PolicyError> {
    let invalid = |reason: String| PolicyError::InvalidCidr {
        value: value.to_string(),
        reason,
    };
    let Some((address, length)) = value.split_once('/') else {
        return Err(invalid(
            "the prefix length is missing; append `/32` (IPv4) or `/128` (IPv6) for one address"
                .to_string(),
        ));
    };
    let addr: IpAddr = if address.contains(':') {
        address.parse::<Ipv6Addr>().map(IpAddr::V6)
    } else {
        address.parse::<Ipv4Addr>().map(IpAddr::V4)
    }
    .map_err(|_| invalid(format!("`{address}` is not an IPv4 or IPv6 address")))?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let prefix_len = parse_prefix_len(length, max).ok_or_else(|| {
        invalid(format!(
            "the prefix length `{length}` is not a whole number from 0 to {max}"
        ))
    })?;
    let network = network_address(addr, prefix_len);
    if network != addr {
        let host = if addr.is_ipv4() { 32 } else { 128 };
        return Err(invalid(format!(
            "host bits are set; write `{network}/{prefix_len}` for the network or `{addr}/{host}` for the single address"
        )));
    }
    Ok(Cidr { addr, prefix_len })
}

/// Decimal digits only, no sign, no leading zero, at most `max`.
fn parse_prefix_len(text: &str, max: u8) -> Option<u8> {
    let plain = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !plain {
        return None;
    }
    text.parse::<u8>().ok().filter(|len| *len <= max)
}

/// `addr` with every bit after the first `prefix_len` cleared.
fn network_address(addr: IpAddr, prefix_len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix_len))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_canonical_networks() {
        let cases = [
            ("203.0.113.0/24", "203.0.113.0/24", 24),
            ("198.51.100.7/32", "198.51.100.7/32", 32),
            ("0.0.0.0/0", "0.0.0.0/0", 0),
            ("10.0.0.0/8", "10.0.0.0/8", 8),
            ("2001:db8::/32", "2001:db8::/32", 32),
            ("2001:DB8:0:0::/64", "2001:db8::/64", 64),
            ("::/0", "::/0", 0),
            ("2001:db8::1/128", "2001:db8::1/128", 128),
            ("fd00:abcd:1234:5600::/56", "fd00:abcd:1234:5600::/56", 56),
        ];
        for (input, canonical, len) in cases {
            let cidr = parse_cidr(input).unwrap_or_else(|e| unreachable!("{input}: {e}"));
            assert_eq!(cidr.to_string(), canonical, "{input}");
            assert_eq!(cidr.prefix_len(), len, "{input}");
        }
    }

    #[test]
    fn rejects_malformed_ranges() {
        let cases = [
            ("10.0.0.0", "prefix length is missing"),
            ("10.0.0.0/33", "from 0 to 32"),
            ("2001:db8::/129", "from 0 to 128"),
            ("10.0.0.0/", "from 0 to 32"),
            ("10.0.0.0/-1", "from 0 to 32"),
            ("10.0.0.0/+8", "from 0 to 32"),
            ("10.0.0.0/08", "from 0 to 32"),
            ("10.0.0.0/8/8", "from 0 to 32"),
            ("10.0.0.0/ 8", "from 0 to 32"),
            ("256.0.0.0/8", "not an IPv4 or IPv6 address"),
            ("10.0.0/24", "not an IPv4 or IPv6 address"),
            ("010.0.0.0/8", "not an IPv4 or IPv6 address"),
            (" 10.0.0.0/8", "not an IPv4 or IPv6 address"),
            ("2001:db8::g/32", "not an IPv4 or IPv6 address"),
            ("fe80::1%eth0/128", "not an IPv4 or IPv6 address"),
            ("example.com/32", "not an IPv4 or IPv6 address"),
            ("", "prefix length is missing"),
        ];
        for (input, reason) in cases {
            match parse_cidr(input) {
                Err(PolicyError::InvalidCidr { value, reason: got }) => {
                    assert_eq!(value, input);
                    assert!(got.contains(reason), "{input}: {got}");
                }
                other => unreachable!("{input}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_host_bits_naming_both_readings() {
        let cases = [
            (
                "10.0.0.5/24",
                "write `10.0.0.0/24` for the network or `10.0.0.5/32` for the single address",
            ),
            (
                "2001:db8::1/64",
                "write `2001:db8::/64` for the network or `2001:db8::1/128` for the single address",
            ),
            ("255.255.255.255/1", "write `128.0.0.0/1` for the network"),
        ];
        for (input, expected) in cases {
            let error = parse_cidr(input).unwrap_err();
            assert!(error.to_string().contains(expected), "{input}: {error}");
        }
    }

    #[test]
    fn orders_ipv4_before_ipv6_then_by_address_and_length() {
        let mut ranges: Vec<Cidr> = ["2001:db8::/32", "10.0.0.0/16", "10.0.0.0/8", "9.0.0.0/8"]
            .into_iter()
            .map(|r| parse_cidr(r).unwrap())
            .collect();
        ranges.sort();
        let printed: Vec<String> = ranges.iter().map(Cidr::to_string).collect();
        assert_eq!(
            printed,
            ["9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "2001:db8::/32"]
        );
        assert!(ranges[0].addr().is_ipv4());
    }
}
