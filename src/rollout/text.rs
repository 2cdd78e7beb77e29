//! Small text helpers shared by the findings and blast-radius lines of this module.

/// `4812` → `4,812`.
pub fn count(n: u64) -> String {
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

/// `1 user` / `4,812 users`.
pub fn users(n: u64) -> String {
    if n == 1 {
        "1 user".to_string()
    } else {
        format!("{} users", count(n))
    }
}

/// `n` of `of` as a whole percentage, rounded down so that 100% means all of them.
pub fn percent(n: u64, of: u64) -> u8 {
    if of == 0 {
        return 100;
    }
    let p = (u128::from(n.min(of)) * 100 / u128::from(of)) as u8;
    if p == 100 && n < of { 99 } else { p }
}

/// Up to five names, then "and N more".
pub fn sample(names: &[String], total: u64) -> String {
    let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    let rest = total.saturating_sub(shown.len() as u64);
    if rest > 0 {
        format!("{} and {} more", shown.join(", "), count(rest))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_percentages() {
        assert_eq!(count(0), "0");
        assert_eq!(count(4812), "4,812");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(users(1), "1 user");
        assert_eq!(percent(4811, 4812), 99);
        assert_eq!(percent(0, 0), 100);
        assert_eq!(percent(1, 3), 33);
        let names: Vec<String> = (0..7).map(|i| format!("u{i}")).collect();
        assert_eq!(sample(&names, 9), "u0, u1, u2, u3, u4 and 4 more");
    }
}
