//! Going ahead although a check blocks (the team is short, the margin is under the
//! floor): who may, and what they must write. Closing a deal and approving a change
//! request follow this one rule.

use super::DomainError;

/// The fewest characters an override reason may have (after trimming).
pub const REASON_MIN_CHARS: usize = 10;

/// Decides an override for `action` ("the close", "approving the change").
///
/// Nothing blocks (`blockers` empty): no override, whatever was written. Otherwise, in
/// this order: no reason written answers a field error that names what blocks and what
/// the caller can do next; a caller without "override checks" is refused
/// ([`DomainError::NotAllowed`]) even with a reason; a reason shorter than
/// [`REASON_MIN_CHARS`] answers a field error. The trimmed reason is what is kept.
pub fn decide(
    action: &str,
    blockers: &[String],
    may_override: bool,
    reason: &str,
) -> Result<Option<String>, DomainError> {
    if blockers.is_empty() {
        return Ok(None);
    }
    let reason = reason.trim();
    if reason.is_empty() {
        let next = if may_override {
            format!("write why it should go ahead anyway ({REASON_MIN_CHARS} characters or more)")
        } else {
            "only someone allowed to override the checks can let it go ahead".to_string()
        };
        return Err(DomainError::out_of_range(
            "override_reason",
            format!("{action} is blocked ({}): {next}", blockers.join(" and ")),
        ));
    }
    if !may_override {
        return Err(DomainError::NotAllowed);
    }
    if reason.chars().count() < REASON_MIN_CHARS {
        return Err(DomainError::out_of_range(
            "override_reason",
            format!("must be at least {REASON_MIN_CHARS} characters: say why {action} goes ahead"),
        ));
    }
    Ok(Some(reason.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn blocked() -> Vec<String> {
        vec!["the team is 3 h short".to_string()]
    }

    #[test]
    fn nothing_blocking_needs_no_override_and_keeps_no_reason() {
        assert_eq!(
            decide("the close", &[], false, "whatever you say"),
            Ok(None)
        );
    }

    #[test]
    fn a_missing_reason_names_the_blockers_and_the_next_step() {
        let Err(DomainError::OutOfRange { field, reason }) =
            decide("the close", &blocked(), true, " ")
        else {
            panic!("expected a field error");
        };
        assert_eq!(field, "override_reason");
        assert!(
            reason.contains("3 h short") && reason.contains("write why"),
            "{reason}"
        );
        let Err(DomainError::OutOfRange { reason, .. }) =
            decide("the close", &blocked(), false, "")
        else {
            panic!("expected a field error");
        };
        assert!(reason.contains("only someone allowed"), "{reason}");
    }

    #[test]
    fn permission_comes_before_the_length_of_the_reason() {
        assert_eq!(
            decide("the close", &blocked(), false, "short"),
            Err(DomainError::NotAllowed)
        );
        assert_eq!(
            decide("the close", &blocked(), false, "a long enough reason"),
            Err(DomainError::NotAllowed)
        );
        assert!(matches!(
            decide("the close", &blocked(), true, "short"),
            Err(DomainError::OutOfRange { .. })
        ));
    }

    #[test]
    fn spaces_do_not_count_toward_the_reason() {
        assert!(decide("the close", &blocked(), true, "   abc     ").is_err());
        assert_eq!(
            decide("the close", &blocked(), true, "  client pays extra  "),
            Ok(Some("client pays extra".to_string()))
        );
    }

    proptest! {
        #[test]
        fn an_override_is_granted_only_to_those_allowed_with_a_reason(
            may in any::<bool>(), reason in ".{0,30}", blocking in any::<bool>()
        ) {
            let blockers = if blocking { blocked() } else { vec![] };
            match decide("the close", &blockers, may, &reason) {
                Ok(None) => prop_assert!(!blocking),
                Ok(Some(kept)) => {
                    prop_assert!(blocking && may);
                    prop_assert!(kept.chars().count() >= REASON_MIN_CHARS);
                }
                Err(_) => prop_assert!(blocking),
            }
        }
    }
}
