//! Money: integer minor units and how a workspace's currency shows them.

use serde::{Deserialize, Serialize};

/// An ISO-4217 currency as a workspace uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    /// The three-letter ISO code, e.g. `EUR`.
    pub code: String,
}

impl Currency {
    /// A currency from its ISO code (upper-cased).
    pub fn new(code: &str) -> Self {
        Self {
            code: code.to_ascii_uppercase(),
        }
    }

    /// Digits after the decimal point in this currency's minor unit.
    pub fn exponent(&self) -> u32 {
        match self.code.as_str() {
            "JPY" | "KRW" | "ISK" | "CLP" | "VND" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }

    /// The symbol written before an amount (a code and a space where no symbol is usual).
    pub fn prefix(&self) -> String {
        match self.code.as_str() {
            "EUR" => "€".into(),
            "USD" => "$".into(),
            "GBP" => "£".into(),
            "JPY" => "¥".into(),
            "AUD" => "A$".into(),
            "CAD" => "C$".into(),
            other => format!("{other} "),
        }
    }

    fn minor_per_major(&self) -> i128 {
        10_i128.pow(self.exponent())
    }
}

/// Groups the digits of a non-negative integer in threes: `1234567` → `1,234,567`.
fn group_thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats an amount exactly: whole units when the fraction is zero (`€48,500`),
/// otherwise with every minor digit (`€48,500.05`).
pub fn format_money(minor: i64, currency: &Currency) -> String {
    let per = currency.minor_per_major();
    let abs = i128::from(minor).unsigned_abs();
    let whole = abs / per as u128;
    let frac = abs % per as u128;
    let sign = if minor < 0 { "-" } else { "" };
    let mut out = format!("{sign}{}{}", currency.prefix(), group_thousands(whole));
    if frac != 0 {
        let width = currency.exponent() as usize;
        out.push_str(&format!(".{frac:0width$}"));
    }
    out
}

/// Formats an amount rounded to whole units (half away from zero): `€48,501`.
pub fn format_money_whole(minor: i64, currency: &Currency) -> String {
    let per = currency.minor_per_major();
    let abs = i128::from(minor).unsigned_abs();
    let whole = (abs + per as u128 / 2) / per as u128;
    let sign = if minor < 0 && whole > 0 { "-" } else { "" };
    format!("{sign}{}{}", currency.prefix(), group_thousands(whole))
}

/// Formats an amount in a short form for totals: `€950`, `€12.5k`, `€1.25M`, `€3.4B`.
pub fn format_money_compact(minor: i64, currency: &Currency) -> String {
    let per = currency.minor_per_major();
    let major = i128::from(minor).unsigned_abs() / per as u128;
    let sign = if minor < 0 { "-" } else { "" };
    let prefix = currency.prefix();
    let (scale, suffix) = match major {
        m if m >= 1_000_000_000 => (1_000_000_000_u128, "B"),
        m if m >= 1_000_000 => (1_000_000, "M"),
        m if m >= 10_000 => (1_000, "k"),
        _ => return format!("{sign}{prefix}{}", group_thousands(major)),
    };
    // Two significant decimals below 10 units of the scale, one below 100, none above.
    let decimals: u32 = match major / scale {
        0..=9 => 2,
        10..=99 => 1,
        _ => 0,
    };
    let step = scale / 10_u128.pow(decimals);
    let rounded = (major + step / 2) / step;
    let int = rounded / 10_u128.pow(decimals);
    let frac = rounded % 10_u128.pow(decimals);
    let mut text = group_thousands(int);
    if decimals > 0 && frac > 0 {
        let mut f = format!("{frac:0width$}", width = decimals as usize);
        while f.ends_with('0') {
            f.pop();
        }
        text.push('.');
        text.push_str(&f);
    }
    format!("{sign}{prefix}{text}{suffix}")
}

/// Parses a user's amount in major units (`"48,500.50"`, `"1200"`) into minor units.
/// Returns `None` for anything that is not a plain non-negative amount in range.
pub fn parse_money(text: &str, currency: &Currency) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != ' ' && *c != '_')
        .collect();
    let (whole, frac) = match cleaned.split_once('.') {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    let exp = currency.exponent() as usize;
    if whole.is_empty() && frac.is_empty()
        || frac.len() > exp
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac_minor: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<exp$}").parse().ok()?
    };
    whole
        .checked_mul(10_i64.pow(exp as u32))?
        .checked_add(frac_minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::new("eur")
    }

    #[test]
    fn exact_amounts_show_cents_only_when_present() {
        assert_eq!(format_money(4_850_000, &eur()), "€48,500");
        assert_eq!(format_money(4_850_005, &eur()), "€48,500.05");
        assert_eq!(format_money(0, &eur()), "€0");
        assert_eq!(format_money(99, &eur()), "€0.99");
        assert_eq!(format_money(-123_456_789, &eur()), "-€1,234,567.89");
        assert_eq!(format_money(100_000, &Currency::new("CHF")), "CHF 1,000");
        assert_eq!(format_money(1_500, &Currency::new("JPY")), "¥1,500");
    }

    #[test]
    fn extreme_amounts_format_without_overflow() {
        assert_eq!(
            format_money(i64::MIN, &eur()),
            "-€92,233,720,368,547,758.08"
        );
        assert_eq!(format_money(i64::MAX, &eur()), "€92,233,720,368,547,758.07");
    }

    #[test]
    fn whole_amounts_round_half_away_from_zero() {
        assert_eq!(format_money_whole(4_850_050, &eur()), "€48,501");
        assert_eq!(format_money_whole(4_850_049, &eur()), "€48,500");
        assert_eq!(format_money_whole(-150, &eur()), "-€2");
        assert_eq!(format_money_whole(-49, &eur()), "€0");
    }

    #[test]
    fn compact_amounts_for_column_totals() {
        assert_eq!(format_money_compact(95_000, &eur()), "€950");
        assert_eq!(format_money_compact(999_900, &eur()), "€9,999");
        assert_eq!(format_money_compact(1_250_000, &eur()), "€12.5k");
        assert_eq!(format_money_compact(48_000_000, &eur()), "€480k");
        assert_eq!(format_money_compact(125_000_000, &eur()), "€1.25M");
        assert_eq!(format_money_compact(100_000_000, &eur()), "€1M");
        assert_eq!(format_money_compact(340_000_000_000, &eur()), "€3.4B");
        assert_eq!(format_money_compact(-1_250_000, &eur()), "-€12.5k");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(parse_money("48,500", &eur()), Some(4_850_000));
        assert_eq!(parse_money(" 48500.5 ", &eur()), Some(4_850_050));
        assert_eq!(parse_money("0.05", &eur()), Some(5));
        assert_eq!(parse_money(".5", &eur()), Some(50));
        assert_eq!(parse_money("1.005", &eur()), None);
        assert_eq!(parse_money("-5", &eur()), None);
        assert_eq!(parse_money("abc", &eur()), None);
        assert_eq!(parse_money("", &eur()), None);
        assert_eq!(parse_money("99999999999999999999", &eur()), None);
    }

    proptest::proptest! {
        #[test]
        fn parse_inverts_format(minor in 0_i64..1_000_000_000_000_000) {
            let text = format_money(minor, &eur());
            proptest::prop_assert_eq!(parse_money(text.trim_start_matches('€'), &eur()), Some(minor));
        }
    }
}
