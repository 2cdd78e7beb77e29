//! OData query options as Graph's directory serves them: `$select`, `$top`, `$count`,
//! `$expand`, `$filter` (a small parser and evaluator: comparisons, `in`, `startsWith`,
//! `and`/`or`/`not`), and opaque `$skiptoken` paging (graph-api.md §3.2, §7).

use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use data_encoding::BASE64URL_NOPAD;

use super::error::{ApiError, ApiResult};

/// The query options of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    /// Every option as sent (decoded), `$skiptoken` included.
    pub pairs: Vec<(String, String)>,
    pub select: Option<Vec<String>>,
    pub top: Option<String>,
    pub count: bool,
    pub expand: Option<Vec<String>>,
    pub filter: Option<Filter>,
    pub skiptoken: Option<String>,
}

/// The options a resource accepts beyond these are refused.
pub(crate) const KNOWN: [&str; 10] = [
    "$select",
    "$top",
    "$count",
    "$expand",
    "$filter",
    "$skiptoken",
    "$search",
    "$orderby",
    "$skip",
    "$format",
];

impl Query {
    pub fn parse(raw: Option<&str>) -> ApiResult<Query> {
        let mut q = Query::default();
        let Some(raw) = raw.filter(|r| !r.is_empty()) else {
            return Ok(q);
        };
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            let (k, v) = (k.into_owned(), v.into_owned());
            // Graph accepts the options with or without `$` in beta and v1.0 alike for
            // these; keep the `$` form.
            let key = if !k.starts_with('$') && KNOWN.contains(&format!("${k}").as_str()) {
                format!("${k}")
            } else {
                k
            };
            if key.starts_with('$') && q.pairs.iter().any(|(pk, _)| pk.eq_ignore_ascii_case(&key)) {
                return Err(ApiError::bad_request(format!(
                    "Query option '{key}' was specified more than once, but it must be specified at most once."
                )));
            }
            q.pairs.push((key, v));
        }
        for (k, v) in &q.pairs {
            match k.to_ascii_lowercase().as_str() {
                "$select" => q.select = Some(split_list(v)),
                "$expand" => q.expand = Some(split_list(v)),
                "$top" => q.top = Some(v.clone()),
                "$count" => {
                    q.count = match v.trim() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ApiError::bad_request(format!(
                                "Invalid value '{v}' for $count: expected true or false."
                            )));
                        }
                    }
                }
                "$filter" => q.filter = Some(Filter::parse(v)?),
                "$skiptoken" => q.skiptoken = Some(v.clone()),
                _ => {}
            }
        }
        Ok(q)
    }

    /// Refuse `$` options other than `allowed`.
    pub fn allow(&self, allowed: &[&str]) -> ApiResult<()> {
        for (k, _) in &self.pairs {
            if k.starts_with('$') && !allowed.iter().any(|a| a.eq_ignore_ascii_case(k)) {
                return Err(ApiError::bad_request(format!(
                    "Query option '{k}' is not supported by this resource."
                )));
            }
        }
        Ok(())
    }

    /// `$top` within `1..=max`, or `default`.
    pub fn top(&self, default: usize, max: usize) -> ApiResult<usize> {
        match &self.top {
            None => Ok(default),
            Some(t) => match t.trim().parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::bad_request(format!(
                    "Invalid page size specified: '{t}'. Must be between 1 and {max} inclusive."
                ))),
            },
        }
    }

    /// The options other than `$skiptoken`, which a nextLink carries forward.
    pub fn carried(&self) -> Vec<(&str, &str)> {
        self.pairs
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// `$select` checked against the properties a type has.
    pub fn checked_select(
        &self,
        known: &[&str],
        type_name: &str,
    ) -> ApiResult<Option<Vec<String>>> {
        let Some(sel) = &self.select else {
            return Ok(None);
        };
        for p in sel {
            if !known.iter().any(|k| k.eq_ignore_ascii_case(p)) {
                return Err(ApiError::bad_request(format!(
                    "Could not find a property named '{p}' on type 'microsoft.graph.{type_name}'."
                )));
            }
        }
        Ok(Some(sel.clone()))
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

// -------------------------------------------------------------------------------------
// $filter
// -------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Null,
    Bool(bool),
    Num(i64),
}

/// A property's value as the evaluator sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PropVal<'a> {
    Str(&'a str),
    Null,
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Cmp { prop: String, op: Op, lit: Lit },
    In { prop: String, lits: Vec<Lit> },
    StartsWith { prop: String, prefix: String },
    EndsWith { prop: String, suffix: String },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(i64),
    Open,
    Close,
    Comma,
}

fn tokenize(s: &str) -> ApiResult<Vec<Tok>> {
    let bad = |why: &str| ApiError::bad_request(format!("Invalid filter clause: {why}."));
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(bad("unterminated string literal")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            v.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                out.push(Tok::Num(
                    text.parse()
                        .map_err(|_| bad(&format!("'{text}' is not a number")))?,
                ));
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '$'))
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(bad(&format!("unexpected '{other}'"))),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn bad(&self, why: &str) -> ApiError {
        ApiError::bad_request(format!("Invalid filter clause: {why}."))
    }

    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, t: Tok) -> ApiResult<()> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            _ => Err(self.bad(&format!("expected {t:?}"))),
        }
    }

    fn or(&mut self) -> ApiResult<Filter> {
        let mut left = self.and()?;
        while self.peek_kw("or") {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> ApiResult<Filter> {
        let mut left = self.unary()?;
        while self.peek_kw("and") {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> ApiResult<Filter> {
        if self.peek_kw("not") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn literal(&mut self) -> ApiResult<Lit> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Num(n)) => Ok(Lit::Num(n)),
            Some(Tok::Ident(s)) if s == "null" => Ok(Lit::Null),
            Some(Tok::Ident(s)) if s == "true" => Ok(Lit::Bool(true)),
            Some(Tok::Ident(s)) if s == "false" => Ok(Lit::Bool(false)),
            _ => Err(self.bad("expected a literal ('text', a number, true, false or null)")),
        }
    }

    fn primary(&mut self) -> ApiResult<Filter> {
        match self.next() {
            Some(Tok::Open) => {
                let f = self.or()?;
                self.expect(Tok::Close)?;
                Ok(f)
            }
            Some(Tok::Ident(name)) => {
                if matches!(self.toks.get(self.pos), Some(Tok::Open)) {
                    // A function: startsWith(prop, 'x') / endsWith(prop, 'x').
                    self.pos += 1;
                    let prop = match self.next() {
                        Some(Tok::Ident(p)) => p,
                        _ => return Err(self.bad("expected a property name")),
                    };
                    self.expect(Tok::Comma)?;
                    let Lit::Str(arg) = self.literal()? else {
                        return Err(self.bad("expected a string argument"));
                    };
                    self.expect(Tok::Close)?;
                    return match name.to_ascii_lowercase().as_str() {
                        "startswith" => Ok(Filter::StartsWith { prop, prefix: arg }),
                        "endswith" => Ok(Filter::EndsWith { prop, suffix: arg }),
                        _ => Err(ApiError::unsupported_query(format!(
                            "Unsupported function '{name}' in the filter clause."
                        ))),
                    };
                }
                let op = match self.next() {
                    Some(Tok::Ident(op)) => op.to_ascii_lowercase(),
                    _ => return Err(self.bad(&format!("expected an operator after '{name}'"))),
                };
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "gt" => Op::Gt,
                    "ge" => Op::Ge,
                    "lt" => Op::Lt,
                    "le" => Op::Le,
                    "in" => {
                        self.expect(Tok::Open)?;
                        let mut lits = vec![self.literal()?];
                        while matches!(self.toks.get(self.pos), Some(Tok::Comma)) {
                            self.pos += 1;
                            lits.push(self.literal()?);
                        }
                        self.expect(Tok::Close)?;
                        return Ok(Filter::In { prop: name, lits });
                    }
                    other => {
                        return Err(ApiError::unsupported_query(format!(
                            "Unsupported operator '{other}' in the filter clause."
                        )));
                    }
                };
                Ok(Filter::Cmp {
                    prop: name,
                    op,
                    lit: self.literal()?,
                })
            }
            _ => Err(self.bad("expected a comparison")),
        }
    }
}

/// How a resource lets a property be filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filterable {
    /// `eq`, `in`, `startsWith` work by default; the rest needs advanced query.
    Default,
    /// Every operator needs advanced query (`ConsistencyLevel: eventual` + `$count`).
    AdvancedOnly,
}

impl Filter {
    pub fn parse(text: &str) -> ApiResult<Filter> {
        let toks = tokenize(text)?;
        if toks.is_empty() {
            return Err(ApiError::bad_request("Invalid filter clause: it is empty."));
        }
        let mut p = Parser { toks, pos: 0 };
        let f = p.or()?;
        if p.pos < p.toks.len() {
            return Err(p.bad("unexpected text after the expression"));
        }
        Ok(f)
    }

    /// Check every property against `rules` (`None`: not filterable) and say whether
    /// the clause needs advanced query.
    pub fn check(
        &self,
        resource: &str,
        rules: &dyn Fn(&str) -> Option<Filterable>,
    ) -> ApiResult<bool> {
        let unsupported = |prop: &str| {
            ApiError::unsupported_query(format!(
                "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{resource}'."
            ))
        };
        let prop_rule = |prop: &str| rules(prop).ok_or_else(|| unsupported(prop));
        Ok(match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.check(resource, rules)? | b.check(resource, rules)?
            }
            Filter::Not(a) => {
                a.check(resource, rules)?;
                true
            }
            Filter::Cmp { prop, op, lit } => {
                let r = prop_rule(prop)?;
                r == Filterable::AdvancedOnly || *op != Op::Eq || *lit == Lit::Null
            }
            Filter::In { prop, .. } | Filter::StartsWith { prop, .. } => {
                prop_rule(prop)? == Filterable::AdvancedOnly
            }
            Filter::EndsWith { prop, .. } => {
                prop_rule(prop)?;
                true
            }
        })
    }

    pub fn eval<'a>(&self, get: &dyn Fn(&str) -> PropVal<'a>) -> bool {
        match self {
            Filter::And(a, b) => a.eval(get) && b.eval(get),
            Filter::Or(a, b) => a.eval(get) || b.eval(get),
            Filter::Not(a) => !a.eval(get),
            Filter::Cmp { prop, op, lit } => compare(get(prop), *op, lit),
            Filter::In { prop, lits } => {
                let v = get(prop);
                lits.iter().any(|l| compare(v, Op::Eq, l))
            }
            Filter::StartsWith { prop, prefix } => match get(prop) {
                PropVal::Str(s) => lower(s).starts_with(&lower(prefix)),
                _ => false,
            },
            Filter::EndsWith { prop, suffix } => match get(prop) {
                PropVal::Str(s) => lower(s).ends_with(&lower(suffix)),
                _ => false,
            },
        }
    }

    /// When the clause is `prop eq 'v'` or `prop in ('v', …)` on `prop`, or an `and`
    /// with one such side: the values, for an index lookup.
    pub fn lookup_values(&self, prop: &str) -> Option<Vec<&str>> {
        match self {
            Filter::Cmp {
                prop: p,
                op: Op::Eq,
                lit: Lit::Str(v),
            } if p.eq_ignore_ascii_case(prop) => Some(vec![v.as_str()]),
            Filter::In { prop: p, lits } if p.eq_ignore_ascii_case(prop) => lits
                .iter()
                .map(|l| match l {
                    Lit::Str(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
            Filter::And(a, b) => a.lookup_values(prop).or_else(|| b.lookup_values(prop)),
            _ => None,
        }
    }
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn compare(v: PropVal<'_>, op: Op, lit: &Lit) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (v, lit) {
        (PropVal::Str(a), Lit::Str(b)) => Some(lower(a).cmp(&lower(b))),
        (PropVal::Bool(a), Lit::Bool(b)) => Some(a.cmp(b)),
        (PropVal::Null, Lit::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match (op, ord) {
        (Op::Eq, Some(o)) => o == Ordering::Equal,
        (Op::Eq, None) => false,
        (Op::Ne, Some(o)) => o != Ordering::Equal,
        (Op::Ne, None) => true,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
        (_, None) => false,
    }
}

// -------------------------------------------------------------------------------------
// Paging
// -------------------------------------------------------------------------------------

/// Makes and reads `$skiptoken`s: a position sealed with a keyed hash of the request it
/// belongs to, so a token is opaque, and refused on any other request.
pub(crate) struct PageKeys {
    key: RandomState,
}

impl PageKeys {
    pub fn new() -> PageKeys {
        PageKeys {
            key: RandomState::new(),
        }
    }

    fn seal(&self, path: &str, carried: &[(&str, &str)], pos: Option<u64>) -> u64 {
        let mut h = self.key.build_hasher();
        path.to_ascii_lowercase().hash(&mut h);
        carried.hash(&mut h);
        pos.hash(&mut h);
        h.finish()
    }

    pub fn token(&self, path: &str, carried: &[(&str, &str)], pos: u64) -> String {
        let mask = self.seal(path, carried, None);
        let tag = self.seal(path, carried, Some(pos));
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&(pos ^ mask).to_le_bytes());
        b[8..].copy_from_slice(&tag.to_le_bytes());
        BASE64URL_NOPAD.encode(&b)
    }

    pub fn position(&self, token: &str, path: &str, carried: &[(&str, &str)]) -> ApiResult<u64> {
        let expired = || {
            ApiError::new(
                400,
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            )
        };
        let b = BASE64URL_NOPAD
            .decode(token.as_bytes())
            .map_err(|_| expired())?;
        if b.len() != 16 {
            return Err(expired());
        }
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&b[..8]);
        hi.copy_from_slice(&b[8..]);
        let pos = u64::from_le_bytes(lo) ^ self.seal(path, carried, None);
        if u64::from_le_bytes(hi) != self.seal(path, carried, Some(pos)) {
            return Err(expired());
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(prop: &str) -> PropVal<'static> {
        match prop {
            "userPrincipalName" => PropVal::Str("Ann.O'Neil@contoso.com"),
            "onPremisesSecurityIdentifier" => PropVal::Str("S-1-5-21-1-2-3-1001"),
            "accountEnabled" => PropVal::Bool(true),
            "mail" => PropVal::Null,
            _ => PropVal::Null,
        }
    }

    #[test]
    fn parses_and_evaluates_directory_filters() {
        let f = Filter::parse("userPrincipalName eq 'ann.o''neil@contoso.com'").unwrap();
        assert!(f.eval(&user));
        let f = Filter::parse(
            "onPremisesSecurityIdentifier in ('S-1-5-21-1-2-3-1000', 'S-1-5-21-1-2-3-1001')",
        )
        .unwrap();
        assert!(f.eval(&user));
        assert_eq!(
            f.lookup_values("onPremisesSecurityIdentifier"),
            Some(vec!["S-1-5-21-1-2-3-1000", "S-1-5-21-1-2-3-1001"])
        );
        let f = Filter::parse("startsWith(userPrincipalName,'ann') and accountEnabled eq true")
            .unwrap();
        assert!(f.eval(&user));
        let f = Filter::parse("not (mail eq null) or accountEnabled eq false").unwrap();
        assert!(!f.eval(&user));
        assert!(Filter::parse("userPrincipalName eq").is_err());
        assert!(Filter::parse("userPrincipalName eq 'x").is_err());
        assert!(Filter::parse("(userPrincipalName eq 'x'").is_err());
        assert!(Filter::parse("userPrincipalName has 'x'").is_err());
    }

    #[test]
    fn says_when_advanced_query_is_needed() {
        let rules = |p: &str| match p {
            "onPremisesSamAccountName" => Some(Filterable::AdvancedOnly),
            "onPremisesSecurityIdentifier" | "userPrincipalName" => Some(Filterable::Default),
            _ => None,
        };
        let needs = |s: &str| Filter::parse(s).unwrap().check("User", &rules);
        assert_eq!(needs("onPremisesSecurityIdentifier eq 'S-1'"), Ok(false));
        assert_eq!(needs("onPremisesSecurityIdentifier eq null"), Ok(true));
        assert_eq!(needs("onPremisesSecurityIdentifier ne 'S-1'"), Ok(true));
        assert_eq!(needs("onPremisesSamAccountName eq 'ann'"), Ok(true));
        assert_eq!(needs("userPrincipalName in ('a','b')"), Ok(false));
        assert_eq!(
            needs("userPrincipalName eq 'a' or onPremisesSamAccountName eq 'b'"),
            Ok(true)
        );
        assert_eq!(
            needs("endsWith(userPrincipalName,'@contoso.com')"),
            Ok(true)
        );
        assert_eq!(
            needs("department eq 'x'").unwrap_err().code,
            "Request_UnsupportedQuery"
        );
    }

    #[test]
    fn page_tokens_are_opaque_and_bound_to_their_request() {
        let k = PageKeys::new();
        let q = [("$top", "5"), ("$select", "id")];
        let t = k.token("/groups/x/transitiveMembers", &q, 40);
        assert!(!t.contains("40"));
        assert_eq!(k.position(&t, "/groups/x/transitiveMembers", &q), Ok(40));
        assert!(k.position(&t, "/groups/y/transitiveMembers", &q).is_err());
        assert!(
            k.position(&t, "/groups/x/transitiveMembers", &q[..1])
                .is_err()
        );
        assert!(
            k.position("garbage", "/groups/x/transitiveMembers", &q)
                .is_err()
        );
        assert!(
            PageKeys::new()
                .position(&t, "/groups/x/transitiveMembers", &q)
                .is_err()
        );
    }

    #[test]
    fn query_options_are_parsed_and_checked() {
        let q = Query::parse(Some("$select=id,displayName&$top=5&$count=true")).unwrap();
        assert_eq!(
            q.select,
            Some(vec!["id".to_string(), "displayName".to_string()])
        );
        assert_eq!(q.top(100, 999), Ok(5));
        assert!(q.count);
        assert!(q.allow(&["$select", "$top"]).is_err());
        let q = Query::parse(Some("$top=1000")).unwrap();
        assert!(q.top(100, 999).is_err());
        let q = Query::parse(Some("$top=0")).unwrap();
        assert!(q.top(100, 999).is_err());
        assert!(Query::parse(Some("$top=1&$top=2")).is_err());
        assert!(Query::parse(Some("$count=yes")).is_err());
    }
}
