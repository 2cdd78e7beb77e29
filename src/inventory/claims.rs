//! A reader for the AD FS claim rule language, good enough to classify rules: optional
//! `@RuleTemplate` / `@RuleName` annotations, conditions (`c:[Type == "…", Value =~ "…"]`
//! joined by `&&`, `exists([…])`, `NOT EXISTS([…])`, `count([…]) > n`), `=>`, and an
//! issuance (`issue(…)` or `add(…)`) that copies a claim, builds one from `Type`/`Value`
//! expressions (string literals, `c.Value`, `RegexReplace(…)`, `+`), or queries an
//! attribute store (`store`, `types`, `query`, `param`).
//!
//! A rule that does not parse is kept, with its text and the line, column and what was
//! expected there, so nothing is silently dropped. One bad rule does not hide the rules
//! after it: the text is split into rules at each top-level `;` before parsing.

use serde::Serialize;

/// Every rule of a rule set, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSet {
    pub rules: Vec<ClaimRule>,
}

/// One rule: its text as written, where it starts, and what it says (or why it could
/// not be read).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimRule {
    /// 1-based position in its rule set.
    pub index: usize,
    /// The rule's text, annotations included, trimmed.
    pub text: String,
    /// 1-based line of the rule's first character in the rule set's text.
    pub line: usize,
    pub template: Option<String>,
    pub name: Option<String>,
    pub body: RuleBody,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RuleBody {
    Parsed(ParsedRule),
    Unparsed(ParseError),
}

/// Where a rule stopped making sense, in the rule set's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub found: String,
    pub expected: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: found {}, expected {}",
            self.line, self.column, self.found, self.expected
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedRule {
    pub conditions: Vec<Condition>,
    pub action: Action,
    pub issuance: Issuance,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// `c:[tests]`: some incoming claim matches every test (`[]` matches any claim).
    Claim {
        var: Option<String>,
        tests: Vec<Test>,
    },
    /// `exists([tests])` or `NOT EXISTS([tests])`.
    Exists { negated: bool, tests: Vec<Test> },
    /// `count([tests]) > n` and the like.
    Count {
        tests: Vec<Test>,
        op: String,
        n: String,
    },
}

impl Condition {
    pub fn tests(&self) -> &[Test] {
        match self {
            Condition::Claim { tests, .. }
            | Condition::Exists { tests, .. }
            | Condition::Count { tests, .. } => tests,
        }
    }

    /// `exists`, `NOT EXISTS` and `count` are aggregate functions.
    pub fn is_aggregate(&self) -> bool {
        !matches!(self, Condition::Claim { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Test {
    pub field: Field,
    pub op: Op,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Type,
    Value,
    Issuer,
    OriginalIssuer,
    ValueType,
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `=~`
    Matches,
    /// `!~`
    NotMatches,
}

impl Op {
    pub fn is_regex(self) -> bool {
        matches!(self, Op::Matches | Op::NotMatches)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `issue(…)`: the claim goes into the outgoing set.
    Issue,
    /// `add(…)`: the claim only goes into the incoming set, for later rules.
    Add,
}

/// What a rule issues or adds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issuance {
    /// `issue(claim = c)`: a copy of the matched claim.
    pub copy_of: Option<String>,
    /// Named parameters in order: `Type`, `Value`, `Issuer`, `store`, `types`, `query`,
    /// `param`, `Properties[…]`…
    pub params: Vec<(String, Param)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Param {
    Expr(Expr),
    /// `types = ("a", "b")`
    List(Vec<String>),
}

/// Terms joined by `+`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Term {
    Str {
        text: String,
    },
    /// `c.Value`, `c1.Type`
    Ref {
        var: String,
        field: String,
    },
    /// `RegexReplace(c.Value, "…", "…")`
    Call {
        name: String,
        args: Vec<Expr>,
    },
}

impl Expr {
    /// The text when the expression is one string literal.
    pub fn literal(&self) -> Option<&str> {
        match self.terms.as_slice() {
            [Term::Str { text }] => Some(text),
            _ => None,
        }
    }

    fn calls(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().flat_map(|t| match t {
            Term::Call { name, args } => {
                let mut v = vec![name.as_str()];
                for a in args {
                    v.extend(a.calls());
                }
                v
            }
            _ => Vec::new(),
        })
    }
}

impl Issuance {
    /// A parameter by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    fn literal(&self, name: &str) -> Option<&str> {
        match self.param(name)? {
            Param::Expr(e) => e.literal(),
            Param::List(_) => None,
        }
    }

    /// The claim type issued, when it is a literal.
    pub fn claim_type(&self) -> Option<&str> {
        self.literal("Type")
    }

    /// The value issued, when it is a literal.
    pub fn value(&self) -> Option<&str> {
        self.literal("Value")
    }

    /// The attribute store queried, if any.
    pub fn store(&self) -> Option<&str> {
        self.literal("store")
    }

    /// The claim types a store query issues.
    pub fn store_types(&self) -> Vec<&str> {
        match self.param("types") {
            Some(Param::List(l)) => l.iter().map(String::as_str).collect(),
            Some(Param::Expr(e)) => e.literal().into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Every claim type this issuance can produce, as far as it is literal.
    pub fn issued_types(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.claim_type().into_iter().collect();
        v.extend(self.store_types());
        v
    }

    /// Whether a value is computed with a regular expression (`RegexReplace`).
    pub fn uses_regex_replace(&self) -> bool {
        self.params.iter().any(|(_, p)| match p {
            Param::Expr(e) => e.calls().any(|n| n.eq_ignore_ascii_case("RegexReplace")),
            Param::List(_) => false,
        })
    }
}

impl RuleSet {
    /// Read a rule set. Never fails: rules that do not parse are kept as unparsed.
    pub fn parse(text: &str) -> RuleSet {
        let lines = LineIndex::new(text);
        let mut rules = Vec::new();
        let (tokens, lex_error) = lex(text);
        let mut start = 0;
        let mut depth: i32 = 0;
        let mut chunks: Vec<&[Tok]> = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            match t.kind {
                K::Open('(') | K::Open('[') => depth += 1,
                K::Close(')') | K::Close(']') => depth -= 1,
                K::Semi if depth <= 0 => {
                    chunks.push(&tokens[start..=i]);
                    start = i + 1;
                    depth = 0;
                }
                _ => {}
            }
        }
        if start < tokens.len() {
            chunks.push(&tokens[start..]);
        }
        for chunk in chunks {
            let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
                continue;
            };
            let index = rules.len() + 1;
            let text_of = text.get(first.start..last.end).unwrap_or("").trim();
            let mut p = Parser {
                toks: chunk,
                pos: 0,
                lines: &lines,
                end: last.end,
            };
            let (template, name, body) = p.rule();
            rules.push(ClaimRule {
                index,
                text: text_of.to_string(),
                line: lines.line_col(first.start).0,
                template,
                name,
                body,
            });
        }
        if let Some((at, what)) = lex_error {
            let (line, column) = lines.line_col(at);
            rules.push(ClaimRule {
                index: rules.len() + 1,
                text: text.get(at..).unwrap_or("").trim().to_string(),
                line,
                template: None,
                name: None,
                body: RuleBody::Unparsed(ParseError {
                    line,
                    column,
                    found: what,
                    expected: "a claim rule: conditions, =>, issue(…) or add(…), ;".into(),
                }),
            });
        }
        RuleSet { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn parsed(&self) -> impl Iterator<Item = (&ClaimRule, &ParsedRule)> {
        self.rules.iter().filter_map(|r| match &r.body {
            RuleBody::Parsed(p) => Some((r, p)),
            RuleBody::Unparsed(_) => None,
        })
    }

    pub fn unparsed(&self) -> impl Iterator<Item = (&ClaimRule, &ParseError)> {
        self.rules.iter().filter_map(|r| match &r.body {
            RuleBody::Unparsed(e) => Some((r, e)),
            RuleBody::Parsed(_) => None,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum K {
    Ident(String),
    Str(String),
    Num(String),
    Open(char),
    Close(char),
    Comma,
    Semi,
    Colon,
    Dot,
    At,
    Plus,
    /// `=`, `==`, `!=`, `=~`, `!~`, `=>`, `&&`, `>`, `<`, `>=`, `<=`
    Op(&'static str),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: K,
    start: usize,
    end: usize,
}

fn describe(k: &K) -> String {
    match k {
        K::Ident(s) => format!("'{s}'"),
        K::Str(s) => {
            let head: String = s.chars().take(30).collect();
            format!("the string \"{head}\"")
        }
        K::Num(n) => format!("the number {n}"),
        K::Open(c) | K::Close(c) => format!("'{c}'"),
        K::Comma => "','".into(),
        K::Semi => "';'".into(),
        K::Colon => "':'".into(),
        K::Dot => "'.'".into(),
        K::At => "'@'".into(),
        K::Plus => "'+'".into(),
        K::Op(o) => format!("'{o}'"),
    }
}

/// Tokens, and where lexing stopped if it met something that is no token (an
/// unterminated string, a stray character).
fn lex(text: &str) -> (Vec<Tok>, Option<(usize, String)>) {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let two = bytes.get(i..i + 2).unwrap_or(&[]);
        let kind = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'"' => {
                let mut s = String::new();
                let mut j = i + 1;
                let mut closed = false;
                while j < bytes.len() {
                    match bytes[j] {
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\\' if matches!(bytes.get(j + 1), Some(b'"') | Some(b'\\')) => {
                            s.push(char::from(bytes[j + 1]));
                            j += 2;
                        }
                        _ => {
                            // Copy one whole UTF-8 character.
                            let ch_len = utf8_len(bytes[j]);
                            s.push_str(text.get(j..j + ch_len).unwrap_or("\u{fffd}"));
                            j += ch_len;
                        }
                    }
                }
                if !closed {
                    return (out, Some((start, "a string with no closing '\"'".into())));
                }
                i = j + 1;
                K::Str(s)
            }
            b'(' | b'[' => {
                i += 1;
                K::Open(char::from(c))
            }
            b')' | b']' => {
                i += 1;
                K::Close(char::from(c))
            }
            b',' => {
                i += 1;
                K::Comma
            }
            b';' => {
                i += 1;
                K::Semi
            }
            b':' => {
                i += 1;
                K::Colon
            }
            b'.' => {
                i += 1;
                K::Dot
            }
            b'@' => {
                i += 1;
                K::At
            }
            b'+' => {
                i += 1;
                K::Plus
            }
            _ if two == b"=="
                || two == b"!="
                || two == b"=~"
                || two == b"!~"
                || two == b"=>"
                || two == b"&&"
                || two == b">="
                || two == b"<=" =>
            {
                i += 2;
                K::Op(match two {
                    b"==" => "==",
                    b"!=" => "!=",
                    b"=~" => "=~",
                    b"!~" => "!~",
                    b"=>" => "=>",
                    b"&&" => "&&",
                    b">=" => ">=",
                    _ => "<=",
                })
            }
            b'=' => {
                i += 1;
                K::Op("=")
            }
            b'>' => {
                i += 1;
                K::Op(">")
            }
            b'<' => {
                i += 1;
                K::Op("<")
            }
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                K::Num(text.get(start..i).unwrap_or("").to_string())
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                K::Ident(text.get(start..i).unwrap_or("").to_string())
            }
            _ => {
                let ch: String = text.get(i..).unwrap_or("").chars().take(1).collect();
                return (
                    out,
                    Some((start, format!("the character '{}'", ch.escape_debug()))),
                );
            }
        };
        out.push(Tok {
            kind,
            start,
            end: i,
        });
    }
    (out, None)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Byte offsets to 1-based line and column (in characters).
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn line_col(&self, at: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= at).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..at.min(self.text.len()))
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line, col + 1)
    }
}

// ---------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
    lines: &'a LineIndex<'a>,
    /// Byte offset just past the chunk, for "end of rule" errors.
    end: usize,
}

type PResult<T> = Result<T, ParseError>;

impl Parser<'_> {
    fn peek(&self) -> Option<&K> {
        self.toks.get(self.pos).map(|t| &t.kind)
    }

    fn peek_at(&self, n: usize) -> Option<&K> {
        self.toks.get(self.pos + n).map(|t| &t.kind)
    }

    fn error(&self, expected: &str) -> ParseError {
        let (at, found) = match self.toks.get(self.pos) {
            Some(t) => (t.start, describe(&t.kind)),
            None => (self.end, "the end of the rule".into()),
        };
        let (line, column) = self.lines.line_col(at);
        ParseError {
            line,
            column,
            found,
            expected: expected.into(),
        }
    }

    fn bump(&mut self) -> Option<&K> {
        let t = self.toks.get(self.pos).map(|t| &t.kind);
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: &K, expected: &str) -> PResult<()> {
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn is_keyword(&self, n: usize, word: &str) -> bool {
        matches!(self.peek_at(n), Some(K::Ident(s)) if s.eq_ignore_ascii_case(word))
    }

    fn string(&mut self, expected: &str) -> PResult<String> {
        match self.peek() {
            Some(K::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.error(expected)),
        }
    }

    fn ident(&mut self, expected: &str) -> PResult<String> {
        match self.peek() {
            Some(K::Ident(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.error(expected)),
        }
    }

    fn rule(&mut self) -> (Option<String>, Option<String>, RuleBody) {
        let mut template = None;
        let mut name = None;
        let body = (|| {
            while self.peek() == Some(&K::At) {
                self.pos += 1;
                let key = self.ident("an annotation name (RuleTemplate, RuleName)")?;
                self.expect(&K::Op("="), "'=' after the annotation name")?;
                let value = self.string("the annotation's value in quotes")?;
                if key.eq_ignore_ascii_case("RuleTemplate") {
                    template = Some(value);
                } else if key.eq_ignore_ascii_case("RuleName") {
                    name = Some(value);
                }
            }
            let mut conditions = Vec::new();
            if self.peek() != Some(&K::Op("=>")) {
                conditions.push(self.condition()?);
                while self.peek() == Some(&K::Op("&&")) {
                    self.pos += 1;
                    conditions.push(self.condition()?);
                }
            }
            self.expect(&K::Op("=>"), "'=>' or '&&' after a condition")?;
            let action = if self.is_keyword(0, "issue") {
                Action::Issue
            } else if self.is_keyword(0, "add") {
                Action::Add
            } else {
                return Err(self.error("'issue' or 'add' after '=>'"));
            };
            self.pos += 1;
            self.expect(&K::Open('('), "'(' after issue/add")?;
            let issuance = self.issuance()?;
            self.expect(
                &K::Close(')'),
                "')' closing issue/add, or ',' and a parameter",
            )?;
            self.expect(&K::Semi, "';' at the end of the rule")?;
            if self.peek().is_some() {
                return Err(self.error("the end of the rule after ';'"));
            }
            Ok(ParsedRule {
                conditions,
                action,
                issuance,
            })
        })();
        let body = match body {
            Ok(p) => RuleBody::Parsed(p),
            Err(e) => RuleBody::Unparsed(e),
        };
        (template, name, body)
    }

    fn condition(&mut self) -> PResult<Condition> {
        // NOT EXISTS([…])
        if self.is_keyword(0, "not") && self.is_keyword(1, "exists") {
            self.pos += 2;
            let tests = self.aggregate_args()?;
            return Ok(Condition::Exists {
                negated: true,
                tests,
            });
        }
        if self.is_keyword(0, "exists") && self.peek_at(1) == Some(&K::Open('(')) {
            self.pos += 1;
            let tests = self.aggregate_args()?;
            return Ok(Condition::Exists {
                negated: false,
                tests,
            });
        }
        if self.is_keyword(0, "count") && self.peek_at(1) == Some(&K::Open('(')) {
            self.pos += 1;
            let tests = self.aggregate_args()?;
            let op = match self.bump() {
                Some(K::Op(o)) if matches!(*o, ">" | "<" | ">=" | "<=" | "==" | "!=") => {
                    (*o).to_string()
                }
                _ => {
                    self.pos -= 1;
                    return Err(self.error("a comparison (>, <, ==, …) after count(…)"));
                }
            };
            let n = match self.bump() {
                Some(K::Num(n)) => n.clone(),
                _ => {
                    self.pos -= 1;
                    return Err(self.error("a number after the comparison"));
                }
            };
            return Ok(Condition::Count { tests, op, n });
        }
        let var = if matches!(self.peek(), Some(K::Ident(_))) && self.peek_at(1) == Some(&K::Colon)
        {
            let v = self.ident("a variable name")?;
            self.pos += 1;
            Some(v)
        } else {
            None
        };
        let tests = self.tests()?;
        Ok(Condition::Claim { var, tests })
    }

    fn aggregate_args(&mut self) -> PResult<Vec<Test>> {
        self.expect(&K::Open('('), "'(' after exists/count")?;
        let tests = self.tests()?;
        self.expect(&K::Close(')'), "')' closing exists/count")?;
        Ok(tests)
    }

    fn tests(&mut self) -> PResult<Vec<Test>> {
        self.expect(
            &K::Open('['),
            "a condition: '[', 'c:[', 'exists(', 'NOT EXISTS(' or '=>'",
        )?;
        let mut tests = Vec::new();
        if self.peek() == Some(&K::Close(']')) {
            self.pos += 1;
            return Ok(tests);
        }
        loop {
            let field = self.ident("Type, Value, Issuer, OriginalIssuer or ValueType")?;
            let field = match field.to_ascii_lowercase().as_str() {
                "type" => Field::Type,
                "value" => Field::Value,
                "issuer" => Field::Issuer,
                "originalissuer" => Field::OriginalIssuer,
                "valuetype" => Field::ValueType,
                _ => Field::Other(field),
            };
            let op = match self.peek() {
                Some(K::Op("==")) => Op::Eq,
                Some(K::Op("!=")) => Op::Ne,
                Some(K::Op("=~")) => Op::Matches,
                Some(K::Op("!~")) => Op::NotMatches,
                _ => return Err(self.error("'==', '!=', '=~' or '!~'")),
            };
            self.pos += 1;
            let value = self.string("a value in quotes")?;
            tests.push(Test { field, op, value });
            match self.peek() {
                Some(K::Comma) => self.pos += 1,
                Some(K::Close(']')) => {
                    self.pos += 1;
                    return Ok(tests);
                }
                _ => return Err(self.error("',' or ']' in a condition")),
            }
        }
    }

    fn issuance(&mut self) -> PResult<Issuance> {
        // issue(claim = c)
        if self.is_keyword(0, "claim") && self.peek_at(1) == Some(&K::Op("=")) {
            self.pos += 2;
            let var = self.ident("the variable of the claim to copy")?;
            return Ok(Issuance {
                copy_of: Some(var),
                params: Vec::new(),
            });
        }
        let mut params = Vec::new();
        loop {
            let mut key =
                self.ident("a parameter: Type, Value, Issuer, store, types, query, param")?;
            // Properties["…"] = …
            if self.peek() == Some(&K::Open('[')) {
                self.pos += 1;
                let inner = self.string("a property name in quotes")?;
                self.expect(&K::Close(']'), "']' after the property name")?;
                key = format!("{key}[{inner}]");
            }
            self.expect(&K::Op("="), "'=' after the parameter name")?;
            let value = if key.eq_ignore_ascii_case("types") && self.peek() == Some(&K::Open('(')) {
                self.pos += 1;
                let mut list = vec![self.string("a claim type in quotes")?];
                while self.peek() == Some(&K::Comma) {
                    self.pos += 1;
                    list.push(self.string("a claim type in quotes")?);
                }
                self.expect(&K::Close(')'), "')' closing the list of types")?;
                Param::List(list)
            } else {
                Param::Expr(self.expr()?)
            };
            params.push((key, value));
            if self.peek() == Some(&K::Comma) {
                self.pos += 1;
            } else {
                return Ok(Issuance {
                    copy_of: None,
                    params,
                });
            }
        }
    }

    fn expr(&mut self) -> PResult<Expr> {
        let mut terms = vec![self.term()?];
        while self.peek() == Some(&K::Plus) {
            self.pos += 1;
            terms.push(self.term()?);
        }
        Ok(Expr { terms })
    }

    fn term(&mut self) -> PResult<Term> {
        match self.peek() {
            Some(K::Str(_)) => Ok(Term::Str {
                text: self.string("a string")?,
            }),
            Some(K::Ident(_)) => {
                let name = self.ident("a name")?;
                match self.peek() {
                    Some(K::Dot) => {
                        self.pos += 1;
                        let field = self.ident("a claim field after '.' (Value, Type, …)")?;
                        Ok(Term::Ref { var: name, field })
                    }
                    Some(K::Open('(')) => {
                        self.pos += 1;
                        let mut args = Vec::new();
                        if self.peek() != Some(&K::Close(')')) {
                            args.push(self.expr()?);
                            while self.peek() == Some(&K::Comma) {
                                self.pos += 1;
                                args.push(self.expr()?);
                            }
                        }
                        self.expect(&K::Close(')'), "')' closing the function's arguments")?;
                        Ok(Term::Call { name, args })
                    }
                    _ => Ok(Term::Ref {
                        var: name,
                        field: String::new(),
                    }),
                }
            }
            _ => Err(self.error("a value: a string, c.Value or a function call")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP_ROUTING: &str = r#"c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value ==
"S-1-5-21-1-2-3-1500"] => issue(Type = "http://schemas.microsoft.com/claims/authnmethodsproviders",
Value = "AzureMfaAuthentication");
not exists([Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid",
Value=="S-1-5-21-1-2-3-1500"]) => issue(Type =
"http://schemas.microsoft.com/claims/authnmethodsproviders", Value =
"AzureMfaServerAuthentication");"#;

    fn parsed(text: &str) -> Vec<ParsedRule> {
        RuleSet::parse(text)
            .parsed()
            .map(|(_, p)| p.clone())
            .collect()
    }

    #[test]
    fn the_migration_guides_routing_rules_parse() {
        let rules = parsed(GROUP_ROUTING);
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].issuance.value(), Some("AzureMfaAuthentication"));
        assert!(matches!(
            rules[1].conditions[0],
            Condition::Exists { negated: true, .. }
        ));
        assert_eq!(
            rules[1].issuance.value(),
            Some("AzureMfaServerAuthentication")
        );
    }

    #[test]
    fn annotations_stores_and_copies() {
        let set = RuleSet::parse(
            r#"@RuleTemplate = "LdapClaims"
@RuleName = "Send attributes"
c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", Issuer == "AD AUTHORITY"]
 => issue(store = "Active Directory", types = ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "http://schemas.xmlsoap.org/claims/Group"), query = ";userPrincipalName,tokenGroups;{0}", param = c.Value);
c:[Type == "http://x/role"] => issue(claim = c);
c:[Type == "http://x/upn"] => add(Type = "http://x/name", Value = RegexReplace(c.Value, "@.*$", "") + "!");
=> issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");"#,
        );
        let rules: Vec<_> = set.parsed().collect();
        assert_eq!(rules.len(), 4, "{set:#?}");
        assert_eq!(rules[0].0.template.as_deref(), Some("LdapClaims"));
        assert_eq!(rules[0].0.name.as_deref(), Some("Send attributes"));
        assert_eq!(rules[0].1.issuance.store(), Some("Active Directory"));
        assert_eq!(rules[0].1.issuance.store_types().len(), 2);
        assert_eq!(rules[1].1.issuance.copy_of.as_deref(), Some("c"));
        assert_eq!(rules[2].1.action, Action::Add);
        assert!(rules[2].1.issuance.uses_regex_replace());
        assert!(rules[3].1.conditions.is_empty());
        assert_eq!(rules[0].0.line, 1);
        assert_eq!(rules[3].0.line, 7);
    }

    #[test]
    fn a_bad_rule_is_kept_with_its_place_and_the_next_rule_still_parses() {
        let set = RuleSet::parse(
            "c:[Type == \"a\"] => issue(Type = \"b\" Value = \"c\");\n\
             c:[Type == \"a\"] => issue(Type = \"b\", Value = \"c\");",
        );
        assert_eq!(set.rules.len(), 2);
        let (rule, err) = set.unparsed().next().expect("one unparsed");
        assert_eq!(rule.index, 1);
        assert_eq!((err.line, err.column), (1, 37));
        assert!(err.found.contains("Value"), "{err}");
        assert!(err.expected.contains("')'"), "{err}");
        assert_eq!(set.parsed().count(), 1);
    }

    #[test]
    fn an_unterminated_string_is_unparsed_not_lost() {
        let set = RuleSet::parse("c:[Type == \"a\"] => issue(Type = \"b);");
        assert_eq!(set.rules.len(), 2);
        assert!(set.unparsed().count() >= 1);
        let all: String = set.rules.iter().map(|r| r.text.as_str()).collect();
        assert!(all.contains("\"b);"), "{all}");
    }

    /// Rules as Entra Connect writes them on the Office 365 relying party: lowercase
    /// `regexreplace`, .NET named groups with escaped backslashes, several `param`s,
    /// `Properties[…]`, an opaque-id store.
    #[test]
    fn entra_connect_style_rules_parse() {
        let set = RuleSet::parse(
            r#"@RuleName = "Issue UPN"
c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname"]
 => issue(store = "Active Directory", types = ("http://schemas.xmlsoap.org/claims/UPN"), query = "samAccountName={0};userPrincipalName;{1}", param = regexreplace(c.Value, "(?<domain>[^\]+)\(?<user>.+)", "${user}"), param = c.Value);
@RuleName = "Issue issuerid when it is not a computer account"
c1:[Type == "http://schemas.xmlsoap.org/claims/UPN"]
 && c2:[Type == "http://schemas.microsoft.com/ws/2012/01/accounttype", Value == "User"]
 => issue(Type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/issuerid", Value = regexreplace(c1.Value, "(?i)(^([^@]+)@)(?<domain>(contoso\.com))$", "http://${domain}/adfs/services/trust/"));
c:[Type == "http://x/email"] => issue(Type = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", Value = c.Value, Properties["http://schemas.xmlsoap.org/ws/2005/05/identity/claimproperties/format"] = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
c1:[Type == "http://x/a"] && c2:[Type == "http://x/b", Issuer =~ "^(AD AUTHORITY|SELF AUTHORITY|LOCAL AUTHORITY)$"]
 => add(store = "_OpaqueIdStore", types = ("http://contoso/internal/sessionid"), query = "{0};{1};{2}", param = "useEntropy", param = c1.Value, param = c2.OriginalIssuer);"#,
        );
        assert_eq!(set.unparsed().count(), 0, "{set:#?}");
        let rules: Vec<_> = set.parsed().collect();
        assert_eq!(rules.len(), 4);
        assert!(rules[0].1.issuance.uses_regex_replace());
        assert_eq!(
            rules[0]
                .1
                .issuance
                .params
                .iter()
                .filter(|(k, _)| k == "param")
                .count(),
            2
        );
        assert!(rules[2].1.issuance.param("Properties[http://schemas.xmlsoap.org/ws/2005/05/identity/claimproperties/format]").is_some());
        assert_eq!(rules[3].1.issuance.store(), Some("_OpaqueIdStore"));
    }

    #[test]
    fn keywords_are_case_insensitive_and_count_parses() {
        let rules = parsed(
            "NOT EXISTS([type == \"x\"]) && COUNT([Type =~ \"^y\"]) > 1 => ISSUE(type = \"z\", value = \"1\");",
        );
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].conditions.len(), 2);
        assert!(rules[0].conditions.iter().all(Condition::is_aggregate));
    }
}
