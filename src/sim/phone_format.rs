//! Graph's phone number format, `+{country code} {number}x{extension}` (graph-api.md
//! §4.2), checked the way the service refuses non-matching numbers on create and update.

/// `Ok(())` for `+1 5555551234` or `+1 5555551234x123`; otherwise what is wrong.
pub(crate) fn check(number: &str) -> Result<(), String> {
    let expected = "expected '+{country code} {number}' with an optional 'x{extension}', e.g. '+1 5555551234x123'";
    let rest = number
        .strip_prefix('+')
        .ok_or_else(|| format!("'{number}' does not start with '+': {expected}"))?;
    let (cc, rest) = rest
        .split_once(' ')
        .ok_or_else(|| format!("'{number}' has no space after the country code: {expected}"))?;
    if cc.is_empty() || cc.len() > 3 || !all_digits(cc) || cc.starts_with('0') {
        return Err(format!(
            "'{number}': country code '{cc}' is not 1 to 3 digits: {expected}"
        ));
    }
    let (national, ext) = match rest.split_once('x') {
        Some((n, e)) => (n, Some(e)),
        None => (rest, None),
    };
    if national.len() < 4 || !all_digits(national) || cc.len() + national.len() > 15 {
        return Err(format!(
            "'{number}': the number '{national}' is not 4 to {} digits: {expected}",
            15 - cc.len()
        ));
    }
    if let Some(e) = ext
        && (e.is_empty() || e.len() > 18 || !all_digits(e))
    {
        return Err(format!(
            "'{number}': the extension '{e}' is not 1 to 18 digits: {expected}"
        ));
    }
    Ok(())
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_the_documented_forms() {
        for ok in [
            "+1 5555551234",
            "+1 5555551234x123",
            "+44 2079460000",
            "+353 15550100x0",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "5555551234",
            "+15555551234",
            "+1 555-555-1234",
            "+1 (555) 5551234",
            "+1 5555551234 x123",
            "+1 5555551234x",
            "+1 5555551234xabc",
            "+0 5555551234",
            "+1234 5555551234",
            "+1 123",
            "+1 1234567890123456",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
