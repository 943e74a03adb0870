//! Input checks shared by the browser (instant feedback) and the server (the decision).
//! Each names the field at fault.

use super::DomainError;

fn invalid(field: &str, reason: &str) -> DomainError {
    DomainError::OutOfRange {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The largest amount Baton takes as input, in minor units (10,000,000,000 major).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// An amount typed in major units (`"48,500.50"`) as minor units, 0 to
/// [`MAX_AMOUNT_MINOR`]. Callers decide what an empty field means.
pub fn amount(
    field: &str,
    text: &str,
    currency: &super::money::Currency,
) -> Result<i64, DomainError> {
    super::money::parse_money(text, currency)
        .filter(|v| (0..=MAX_AMOUNT_MINOR).contains(v))
        .ok_or_else(|| invalid(field, "must be an amount from 0 to 10,000,000,000"))
}

/// Trimmed text of 1 to `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(invalid(field, &format!("must be at most {max} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(trimmed.to_string())
}

/// Trimmed text of at most `max` characters (empty allowed).
pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        return Err(invalid(field, &format!("must be at most {max} characters")));
    }
    Ok(trimmed.to_string())
}

/// A plausible email address, lower-cased.
pub fn email(field: &str, value: &str) -> Result<String, DomainError> {
    // Lower-case first, then measure: lower-casing can lengthen text (`İ` is two
    // characters in lower case), and what is stored is the lower-cased address.
    let value = required_text(field, &value.to_lowercase(), 254)?;
    let (local, domain) = value
        .split_once('@')
        .ok_or_else(|| invalid(field, "must be an email address"))?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || value.contains(char::is_whitespace)
        || domain.contains('@')
    {
        return Err(invalid(field, "must be an email address"));
    }
    Ok(value)
}

/// A new password: 10 to 1024 characters.
pub fn new_password(field: &str, value: &str) -> Result<String, DomainError> {
    let n = value.chars().count();
    if n < 10 {
        return Err(invalid(field, "must be at least 10 characters"));
    }
    if n > 1024 {
        return Err(invalid(field, "must be at most 1024 characters"));
    }
    Ok(value.to_string())
}

/// Hours as typed ("40", "12.5", "7,25", empty = 0) in whole minutes, from 0 to
/// `max_hours`; at most two decimals.
pub fn hours(field: &str, value: &str, max_hours: i64) -> Result<i64, DomainError> {
    let text = value.trim().trim_end_matches('h').trim().replace(',', ".");
    if text.is_empty() {
        return Ok(0);
    }
    let bad = || {
        invalid(
            field,
            &format!("must be a number of hours from 0 to {max_hours}"),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || whole.len() > 9
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let hundredths: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    if whole > max_hours || (whole == max_hours && hundredths > 0) {
        return Err(bad());
    }
    // Hundredths of an hour to minutes, to the nearest minute.
    Ok(whole * 60 + (hundredths * 60 + 50) / 100)
}

/// Minutes as hours for a form field: "40", "12.5", "7.25".
pub fn hours_text(minutes: i64) -> String {
    let hundredths = (minutes * 100 + 30) / 60;
    match hundredths % 100 {
        0 => (hundredths / 100).to_string(),
        f if f % 10 == 0 => format!("{}.{}", hundredths / 100, f / 10),
        f => format!("{}.{f:02}", hundredths / 100),
    }
}

/// Minutes as hours to read (not to edit): quarter hours exactly ("7.25", "7.5", "40"),
/// anything else to the nearest tenth ("13.7" for 13 h 43 min, "0.3" for 20 min) — the
/// way planners write hours, the same on every screen. Form fields keep [`hours_text`],
/// which loses nothing when saved again.
pub fn hours_shown(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    if m.is_multiple_of(15) {
        return format!("{sign}{}", hours_text(m as i64));
    }
    let tenths = (m * 10 + 30) / 60;
    match tenths % 10 {
        0 => format!("{sign}{}", tenths / 10),
        t => format!("{sign}{}.{t}", tenths / 10),
    }
}

/// Where to go after signing in: a path on this site, else the board.
///
/// Only a local absolute path is accepted: it starts with one `/` (not `//` or `/\`,
/// which browsers read as another host), and every character is printable ASCII other
/// than the backslash. Browsers drop tabs and newlines from URLs (so `/<TAB>/evil.test`
/// would become `//evil.test`) and a header value may not hold control characters, so
/// anything else falls back to the board — the answer is always a valid `Location`.
pub fn local_path(next: Option<&str>) -> String {
    const FALLBACK: &str = "/pipeline";
    let Some(path) = next else {
        return FALLBACK.to_string();
    };
    let printable = path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    let one_slash = path.starts_with('/') && !path.starts_with("//");
    if printable && one_slash && path.len() <= 2048 {
        path.to_string()
    } else {
        FALLBACK.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_in_tenths_or_exact_quarters() {
        assert_eq!(hours_shown(823), "13.7");
        assert_eq!(hours_shown(1166), "19.4");
        assert_eq!(hours_shown(65), "1.1");
        assert_eq!(hours_shown(20), "0.3");
        assert_eq!(hours_shown(435), "7.25");
        assert_eq!(hours_shown(450), "7.5");
        assert_eq!(hours_shown(2400), "40");
        assert_eq!(hours_shown(0), "0");
        assert_eq!(hours_shown(-90), "-1.5");
        assert_eq!(hours_shown(-20), "-0.3");
        assert_eq!(hours_shown(1601), "26.7");
        assert_eq!(hours_shown(3597), "60");
    }

    proptest::proptest! {
        #[test]
        fn shown_hours_are_within_three_minutes_and_never_over_two_decimals(m in -1_000_000i64..1_000_000) {
            let shown = hours_shown(m);
            let hours: f64 = shown.parse().unwrap();
            proptest::prop_assert!((hours * 60.0 - m as f64).abs() <= 3.0 + 1e-6, "{m} -> {shown}");
            let decimals = shown.split('.').nth(1).map_or(0, str::len);
            proptest::prop_assert!(decimals <= 2);
            if decimals == 2 {
                proptest::prop_assert_eq!(m % 15, 0);
            }
        }
    }

    #[test]
    fn emails_are_measured_after_lower_casing() {
        let long = format!("{}@example.test", "İ".repeat(240));
        assert!(email("email", &long).is_err());
        assert_eq!(
            email("email", " Ada@Example.TEST ").unwrap(),
            "ada@example.test"
        );
    }

    #[test]
    fn hours_become_minutes() {
        assert_eq!(hours("h", "", 100).unwrap(), 0);
        assert_eq!(hours("h", "40", 100).unwrap(), 2400);
        assert_eq!(hours("h", "12.5", 100).unwrap(), 750);
        assert_eq!(hours("h", "7,25", 100).unwrap(), 435);
        assert_eq!(hours("h", ".5 h", 100).unwrap(), 30);
        assert_eq!(hours("h", "100", 100).unwrap(), 6000);
        for bad in [
            "-1",
            "100.01",
            "1.234",
            "abc",
            "1e3",
            ".",
            "1.2.3",
            "99999999999",
        ] {
            assert!(hours("h", bad, 100).is_err(), "{bad}");
        }
        for minutes in [0, 30, 60, 435, 750, 2400, 59, 1] {
            let text = hours_text(minutes);
            let back = hours("h", &text, 10_000).unwrap();
            assert!((back - minutes).abs() <= 1, "{minutes} -> {text} -> {back}");
        }
        assert_eq!(hours_text(750), "12.5");
        assert_eq!(hours_text(2400), "40");
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(required_text("name", "  Ada ", 10).unwrap(), "Ada");
        assert!(required_text("name", "   ", 10).is_err());
        assert!(required_text("name", &"x".repeat(11), 10).is_err());
        assert!(required_text("name", "a\u{0}b", 10).is_err());
        let err = required_text("title", "", 5).unwrap_err();
        assert_eq!(err.to_string(), "title: must not be empty");
    }

    #[test]
    fn emails() {
        assert_eq!(
            email("email", " Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "", "ada", "ada@", "@x.io", "ada@x", "a b@x.io", "a@b@c.io", "a@.io",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_and_next_paths() {
        assert!(new_password("password", "short").is_err());
        assert!(new_password("password", "long enough!").is_ok());
        assert_eq!(local_path(Some("/settings/roles")), "/settings/roles");
        assert_eq!(local_path(Some("//evil.example")), "/pipeline");
        assert_eq!(local_path(Some("https://evil.example")), "/pipeline");
        assert_eq!(local_path(None), "/pipeline");
        // Browsers drop tabs and newlines: `/\t/evil.test` would be `//evil.test`.
        for hostile in [
            "/\t/evil.test",
            "/\n/evil.test",
            "/\r/evil.test",
            "/\r\nSet-Cookie: a=b",
            "/ /evil.test",
            "/\\evil.test",
            "\\/evil.test",
            "/\u{0}x",
            "/\u{7f}x",
            "/caf\u{e9}",
            "pipeline",
            "",
        ] {
            assert_eq!(local_path(Some(hostile)), "/pipeline", "{hostile:?}");
        }
        assert_eq!(
            local_path(Some("/projects/3?tab=time#log")),
            "/projects/3?tab=time#log"
        );
        assert_eq!(local_path(Some("/%09/evil.test")), "/%09/evil.test");
    }

    proptest::proptest! {
        /// Whatever arrives as `next`, the answer is a local path a header can carry.
        #[test]
        fn any_next_is_a_local_header_value(next in proptest::prelude::any::<String>()) {
            let path = local_path(Some(&next));
            proptest::prop_assert!(path.starts_with('/') && !path.starts_with("//"));
            proptest::prop_assert!(path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\'));
        }
    }
}
