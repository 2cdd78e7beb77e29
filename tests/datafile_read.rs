//! Reading every kind of input: encodings and delimiters, header aliases, mappings, seed
//! files, combined inputs, and every kind of row problem.

use std::path::{Path, PathBuf};

use mfa_cutover::datafile::layout::REFERENCE_SQL;
use mfa_cutover::datafile::{
    DataSet, FileProblem, HashFunction, InputKind, Known, MfaMethod, OathKind, PhoneCallMode,
    ProblemKind, TimeStep, User, load,
};
use mfa_cutover::otp;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

fn user<'a>(set: &'a DataSet, name: &str) -> User<'a> {
    set.users()
        .find(|u| u.username() == name)
        .unwrap_or_else(|| panic!("no user {name}"))
}

fn graph(k: Known<Option<mfa_cutover::phone::PhoneNumber>>) -> String {
    match k {
        Known::Known(Some(p)) => p.graph(),
        Known::Known(None) => "none".into(),
        Known::Unknown => "unknown".into(),
    }
}

#[test]
fn export_users_csv_in_utf16_with_semicolons_unknown_columns_and_x_extensions() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("Multi-Factor Authentication Users.csv");
    let text = "Username;Primary Country Code;Primary Phone;Backup Country Code;Backup Phone;\
                Backup Extension;Method;Enabled;Department;Favourite Colour\r\n\
                zoë.müller@contoso.com;49;030 1234 5678 x42;44;07812 345678;;Phone Call;Yes;Sales;blue\r\n\
                CONTOSO\\o'neil;1;(425) 555-0100;+1;425.555.0199;77;Text Message;No;;\r\n\
                山田@contoso.com;81;090-1234-5678;;;;Mobile App;1;;\r\n\
                \"CONTOSO\\semi;colon\";33;06 12 34 56 78 X7;;;;OATH Token;yes;\"a;b\";\r\n";
    std::fs::write(&path, utf16le_bom(text))?;
    let set = load(&[path], None)?;
    assert_eq!(set.len(), 4);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let input = &set.inputs[0];
    assert_eq!(input.kind, InputKind::ExportUsersCsv);
    assert_eq!(input.encoding.as_deref(), Some("UTF-16 LE"));
    assert_eq!(input.delimiter, Some(';'));
    assert_eq!(input.unknown_columns, ["Department", "Favourite Colour"]);
    assert_eq!(input.rows, 4);

    let zoe = user(&set, "zoë.müller@contoso.com");
    assert_eq!(graph(zoe.phone()), "+49 3012345678x42");
    assert_eq!(graph(zoe.backup_phone()), "+44 7812345678");
    assert_eq!(
        zoe.default_method(),
        Known::Known(Some(MfaMethod::PhoneCall))
    );
    assert_eq!(zoe.enabled(), Known::Known(true));
    assert_eq!(zoe.match_upn(), Some("zoë.müller@contoso.com"));
    // An Export Users CSV carries no devices, tokens, SID or modes: unknown, not empty.
    assert!(zoe.devices().is_unknown());
    assert!(zoe.tokens().is_unknown());
    assert!(zoe.phone_call_mode().is_unknown());

    let oneil = user(&set, "CONTOSO\\o'neil");
    assert_eq!(graph(oneil.phone()), "+1 4255550100");
    assert_eq!(graph(oneil.backup_phone()), "+1 4255550199x77");
    assert_eq!(
        oneil.default_method(),
        Known::Known(Some(MfaMethod::TextMessage))
    );
    assert_eq!(oneil.enabled(), Known::Known(false));
    assert_eq!(oneil.match_upn(), None);

    let yamada = user(&set, "山田@contoso.com");
    assert_eq!(graph(yamada.phone()), "+81 9012345678");
    assert_eq!(graph(yamada.backup_phone()), "none");

    let quoted = user(&set, "CONTOSO\\semi;colon");
    assert_eq!(graph(quoted.phone()), "+33 612345678x7");
    assert_eq!(
        quoted.default_method(),
        Known::Known(Some(MfaMethod::OathToken))
    );
    Ok(())
}

#[test]
fn utf8_tab_separated_without_method_column_leaves_the_method_unknown() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("users.txt");
    std::fs::write(
        &path,
        "user name\tcountry code\tphone\textension\r\nann@contoso.com\t1\t425 555 0100\t12\r\n",
    )?;
    let set = load(&[path], None)?;
    let ann = user(&set, "ann@contoso.com");
    assert_eq!(graph(ann.phone()), "+1 4255550100x12");
    assert_eq!(ann.default_method(), Known::Unknown);
    assert_eq!(ann.enabled(), Known::Unknown);
    assert_eq!(set.inputs[0].delimiter, Some('\t'));
    assert_eq!(set.inputs[0].encoding.as_deref(), Some("UTF-8"));
    Ok(())
}

#[test]
fn an_ansi_export_is_read_as_windows_1252() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("export.csv");
    // "Zoë Müller" as an older Windows tool writes it: one byte per accented letter.
    std::fs::write(
        &path,
        b"Username;Primary Country Code;Primary Phone\r\nzo\xeb.m\xfcller@contoso.com;49;030 1234567\r\n",
    )?;
    let set = load(&[path], None)?;
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    assert_eq!(set.inputs[0].encoding.as_deref(), Some("Windows-1252"));
    assert_eq!(
        graph(user(&set, "zoë.müller@contoso.com").phone()),
        "+49 301234567"
    );
    Ok(())
}

#[test]
fn mapping_csv_aliases_extend_the_header_table() -> Result {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("export.csv");
    std::fs::write(
        &csv,
        "Username,Primary Country Code,Primary Phone,Phone Ext\nann,1,425 555 0100,99\n",
    )?;
    let without = load(std::slice::from_ref(&csv), None)?;
    assert_eq!(graph(user(&without, "ann").phone()), "+1 4255550100");
    assert_eq!(without.inputs[0].unknown_columns, ["Phone Ext"]);
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "[csv_aliases]\nextension = [\"Phone Ext\"]\n")?;
    let with = load(&[csv], Some(&mapping))?;
    assert_eq!(graph(user(&with, "ann").phone()), "+1 4255550100x99");
    assert!(with.inputs[0].unknown_columns.is_empty());
    Ok(())
}

/// A SQLite file with the reference DDL, filled by `sql`.
fn reference_db(path: &Path, sql: &str) -> Result {
    let db = rusqlite::Connection::open(path)?;
    db.execute_batch("PRAGMA foreign_keys = OFF;")?;
    db.execute_batch(REFERENCE_SQL)?;
    db.execute_batch(
        "INSERT INTO layout_info VALUES ('layout','reference'),('version','1'),\
         ('server_version','8.1.0.0');",
    )?;
    db.execute_batch(sql)?;
    Ok(())
}

#[test]
fn every_row_problem_kind_is_collected_and_rows_survive() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("problems.pfdata");
    reference_db(
        &path,
        "INSERT INTO users (user_id, username, country_code, phone, default_method,
                            phone_call_mode, changed_at) VALUES
           (1, 'bad-phone', '1', 'call me', 'phone_call', 'standard', '2024-01-01T00:00:00Z'),
           (2, 'bad-method', '1', '425 555 0100', 'smoke_signal', 'standard', '2024-01-01T00:00:00Z'),
           (3, 'bad-mode', '1', '425 555 0101', 'phone_call', 'loud', '2024-01-01T00:00:00Z'),
           (4, 'dup', '1', '425 555 0102', 'phone_call', 'pin', '2024-01-01T00:00:00Z'),
           (5, 'DUP', '1', '425 555 0103', 'phone_call', 'pin', '2024-01-01T00:00:00Z'),
           (6, 'bad-time', NULL, NULL, 'phone_call', NULL, 'yesterday'),
           (7, '  ', NULL, NULL, NULL, NULL, '2024-01-01T00:00:00Z'),
           (9, 'bad-secret', NULL, NULL, 'mobile_app', NULL, '2024-01-01T00:00:00Z');
         INSERT INTO users (user_id, username, email, changed_at)
           VALUES (8, 'bad-utf8', CAST(x'6a6fe9' AS TEXT), '2024-01-01T00:00:00Z');
         INSERT INTO mobile_app_devices (device_id, user_id, device_name, device_token,
                                         oath_secret, activated_at) VALUES
           (1, 998, 'Orphan', 'tok', NULL, '2024-01-01T00:00:00Z'),
           (2, 9, 'iPhone', 'secret-push-token-value', '!!!', '2024-01-01T00:00:00Z');
         INSERT INTO oath_tokens (token_id, user_id, serial_number, secret, added_at) VALUES
           (1, 999, 'ORPHAN', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', '2024-01-01T00:00:00Z'),
           (2, 9, 'BAD', 'N0T-BASE32', '2024-01-01T00:00:00Z');",
    )?;
    let set = load(&[path], None)?;
    let find = |kind: ProblemKind| {
        set.problems
            .iter()
            .find(|p| p.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} in {:?}", set.problems))
    };
    let p = find(ProblemKind::BadPhone);
    assert_eq!(
        (p.user.as_deref(), p.field.as_str()),
        (Some("bad-phone"), "phone")
    );
    assert!(!p.set_aside);
    assert_eq!(
        find(ProblemKind::UnknownMethod).user.as_deref(),
        Some("bad-method")
    );
    assert_eq!(find(ProblemKind::UnknownValue).field, "phone_call_mode");
    let dups: Vec<_> = set
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::DuplicateUsername)
        .collect();
    assert_eq!(
        dups.len(),
        2,
        "every row of a duplicated username is flagged"
    );
    assert_eq!(
        find(ProblemKind::BadTimestamp).user.as_deref(),
        Some("bad-time")
    );
    let missing = find(ProblemKind::MissingValue);
    assert!(missing.set_aside);
    assert_eq!(missing.row, Some(7));
    let utf8 = find(ProblemKind::InvalidUtf8);
    assert_eq!(
        (utf8.user.as_deref(), utf8.field.as_str()),
        (Some("bad-utf8"), "email")
    );
    assert!(find(ProblemKind::DeviceWithoutUser).set_aside);
    assert!(
        find(ProblemKind::TokenWithoutUser)
            .reason
            .contains("ORPHAN")
    );
    let secrets: Vec<_> = set
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::BadSecret)
        .collect();
    assert_eq!(secrets.len(), 2);
    assert!(
        secrets
            .iter()
            .all(|p| p.user.as_deref() == Some("bad-secret"))
    );

    // Rows are kept without the bad field.
    assert_eq!(set.len(), 8, "all but the row with no username");
    let bad_phone = user(&set, "bad-phone");
    assert!(bad_phone.phone().is_unknown());
    assert_eq!(
        bad_phone.phone_call_mode(),
        Known::Known(Some(PhoneCallMode::Standard))
    );
    assert_eq!(user(&set, "bad-method").default_method(), Known::Unknown);
    assert!(user(&set, "bad-time").changed_at().is_none());
    assert_eq!(user(&set, "bad-utf8").email(), None);
    let holder = user(&set, "bad-secret");
    let devices: Vec<_> = holder.devices().known().ok_or("devices")?.collect();
    assert_eq!(devices.len(), 1);
    assert!(devices[0].oath_secret().is_none());
    assert!(devices[0].has_push_token());
    let tokens: Vec<_> = holder.tokens().known().ok_or("tokens")?.collect();
    assert_eq!(tokens[0].serial(), "BAD");
    assert!(tokens[0].secret().is_none());
    // The push token itself is dropped at read: nothing in the data set holds it.
    assert!(!format!("{set:?}").contains("secret-push-token-value"));
    Ok(())
}

#[test]
fn shared_secrets_are_dropped_from_dependencies() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("deps.pfdata");
    reference_db(
        &path,
        "INSERT INTO users (user_id, username, changed_at) VALUES (1, 'ann', '2024-01-01');
         INSERT INTO auth_services (kind, name, address, detail) VALUES
           ('radius', 'VPN', '10.0.0.1',
            '{\"application_name\":\"ASA\",\"shared_secret\":\"hunter2\",\"nps\":{\"SharedSecret\":\"x9\"}}'),
           ('telepathy', 'Odd', NULL, NULL);",
    )?;
    let set = load(&[path], None)?;
    let services = set.services.as_ref().known().ok_or("services")?;
    assert_eq!(services.len(), 1);
    let detail = serde_json::Value::Object(services[0].detail.clone()).to_string();
    assert!(detail.contains("ASA"));
    assert!(
        !detail.contains("hunter2") && !detail.contains("x9"),
        "{detail}"
    );
    assert!(
        set.problems
            .iter()
            .any(|p| p.kind == ProblemKind::UnknownValue && p.reason.contains("telepathy"))
    );
    Ok(())
}

#[test]
fn a_mapped_pfdata_is_read_through_its_mapping() -> Result {
    let dir = tempfile::tempdir()?;
    let db_path = dir.path().join("PhoneFactor.pfdata");
    let db = rusqlite::Connection::open(&db_path)?;
    db.execute_batch(
        "CREATE TABLE UserTable (Id INTEGER PRIMARY KEY, UserName TEXT, CC TEXT, PhoneNumber TEXT,
                                Method INTEGER, Active INTEGER, Pin TEXT);
         INSERT INTO UserTable VALUES (10, 'CONTOSO\\ann', '44', '020 7946 0958', 2, 1, '1234'),
                                      (11, 'bob@contoso.com', '1', '425-555-0100', 1, 0, '9999');
         CREATE TABLE Devices (DevId INTEGER PRIMARY KEY, Owner INTEGER, Label TEXT, Push TEXT);
         INSERT INTO Devices VALUES (1, 10, 'Ann''s iPhone', 'apns-token');",
    )?;
    drop(db);
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(
        &mapping,
        r#"
        [tables]
        users = "UserTable"
        mobile_app_devices = "Devices"
        [columns.users]
        user_id = "Id"
        username = "UserName"
        country_code = "CC"
        phone = "PhoneNumber"
        default_method = "Method"
        enabled = "Active"
        [columns.mobile_app_devices]
        user_id = "Owner"
        device_name = "Label"
        device_token = "Push"
        [values.users.default_method]
        "0" = "phone_call"
        "1" = "text_message"
        "2" = "mobile_app"
        "3" = "oath_token"
        "#,
    )?;
    let set = load(&[db_path], Some(&mapping))?;
    assert_eq!(set.inputs[0].kind, InputKind::PfdataSqlite);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    let ann = user(&set, "CONTOSO\\ann");
    assert_eq!(graph(ann.phone()), "+44 2079460958");
    assert_eq!(
        ann.default_method(),
        Known::Known(Some(MfaMethod::MobileApp))
    );
    let names: Vec<_> = ann
        .devices()
        .known()
        .ok_or("devices")?
        .map(|d| d.name().to_string())
        .collect();
    assert_eq!(names, ["Ann's iPhone"]);
    let bob = user(&set, "bob@contoso.com");
    assert_eq!(
        bob.default_method(),
        Known::Known(Some(MfaMethod::TextMessage))
    );
    assert_eq!(bob.enabled(), Known::Known(false));
    // Columns nobody mapped are listed, not read.
    assert!(
        set.inputs[0]
            .unknown_columns
            .contains(&"UserTable.Pin".to_string())
    );
    assert!(ann.tokens().is_unknown());
    Ok(())
}

#[test]
fn seed_files_join_by_serial_and_by_upn() -> Result {
    let dir = tempfile::tempdir()?;
    let snap = dir.path().join("s.pfdata");
    reference_db(
        &snap,
        "INSERT INTO users (user_id, username, upn, changed_at) VALUES
           (1, 'CONTOSO\\ann', 'ann@contoso.com', '2024-01-01'),
           (2, 'bob@contoso.com', NULL, '2024-01-01');
         INSERT INTO oath_tokens (token_id, user_id, serial_number, secret, added_at)
           VALUES (1, 1, 'T-100', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', '2024-01-01');",
    )?;
    // Entra's upload format, serial T-100 (held by ann in the snapshot) and a new token
    // for bob by UPN; a hex secret with a 60 s step; a row for nobody.
    let seed = dir.path().join("seeds.csv");
    let hex = "3132333435363738393031323334353637383930";
    std::fs::write(
        &seed,
        format!(
            "upn,serial number,secret key,time interval,manufacturer,model\n\
             ann@contoso.com,T-100,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C302\n\
             BOB@contoso.com,T-200,{hex},60,Feitian,c200\n\
             gone@contoso.com,T-300,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C302\n"
        ),
    )?;
    let set = load(&[seed.clone(), snap.clone()], None)?;
    // Seed files are read after the inputs that carry users, whatever the order given.
    assert_eq!(set.inputs[0].kind, InputKind::SnapshotSqlite);
    assert_eq!(set.inputs[1].kind, InputKind::OathSeedFile);
    let ann_tokens: Vec<_> = user(&set, "CONTOSO\\ann")
        .tokens()
        .known()
        .ok_or("tokens")?
        .collect();
    assert_eq!(ann_tokens.len(), 1);
    let secret = ann_tokens[0].secret().ok_or("seeded")?;
    assert_eq!(secret.expose_bytes(), b"12345678901234567890");
    let bob_tokens: Vec<_> = user(&set, "bob@contoso.com")
        .tokens()
        .known()
        .ok_or("tokens")?
        .collect();
    assert_eq!(bob_tokens[0].serial(), "T-200");
    assert_eq!(bob_tokens[0].time_step(), TimeStep::S60);
    assert_eq!(bob_tokens[0].kind(), OathKind::Totp);
    let s = bob_tokens[0].secret().ok_or("secret")?;
    // RFC 6238's SHA-1 key: the hex secret decodes to the right bytes.
    assert_eq!(
        otp::totp(s, TimeStep::S30, HashFunction::HmacSha1, 59),
        "287082"
    );
    let orphan = set
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::TokenWithoutUser)
        .ok_or("orphan")?;
    assert_eq!(orphan.user.as_deref(), Some("gone@contoso.com"));
    assert!(orphan.reason.contains("T-300"));
    Ok(())
}

#[test]
fn inputs_combine_by_username_and_fill_what_the_first_cannot_carry() -> Result {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("export.csv");
    std::fs::write(
        &csv,
        "Username,Primary Country Code,Primary Phone\nann@contoso.com,1,425 555 0100\n\
         only-in-csv@contoso.com,1,425 555 0111\n",
    )?;
    let snap = dir.path().join("s.pfdata");
    reference_db(
        &snap,
        "INSERT INTO users (user_id, username, country_code, phone, default_method, enabled,
                            changed_at) VALUES
           (1, 'ANN@contoso.com', '1', '206 555 0199', 'text_message', 0, '2024-01-01'),
           (2, 'only-in-snapshot@contoso.com', '1', '425 555 0122', 'phone_call', 1, '2024-01-01');
         INSERT INTO mobile_app_devices (user_id, device_name, activated_at)
           VALUES (1, 'Pixel', '2024-01-01');",
    )?;
    let set = load(&[csv, snap], None)?;
    assert_eq!(set.len(), 3);
    let ann = user(&set, "ann@contoso.com");
    // The first input that carries a field wins; what it cannot carry comes later.
    assert_eq!(graph(ann.phone()), "+1 4255550100");
    assert_eq!(
        ann.default_method(),
        Known::Known(Some(MfaMethod::TextMessage))
    );
    assert_eq!(ann.enabled(), Known::Known(false));
    assert_eq!(ann.devices().known().map(|d| d.count()), Some(1));
    assert!(user(&set, "only-in-csv@contoso.com").devices().is_unknown());
    assert_eq!(
        user(&set, "only-in-snapshot@contoso.com")
            .devices()
            .known()
            .map(|d| d.count()),
        Some(0)
    );
    Ok(())
}

#[test]
fn a_folder_of_export_and_seed_files_is_read_file_by_file() -> Result {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("Multi-Factor Authentication Users.csv"),
        "Username,Primary Country Code,Primary Phone\nann@contoso.com,1,425 555 0100\n",
    )?;
    std::fs::write(
        dir.path().join("tokens.csv"),
        "upn,serial number,secret key,time interval,manufacturer,model\n\
         ann@contoso.com,T-1,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,30,Token2,C302\n",
    )?;
    std::fs::write(dir.path().join("notes.txt"), "not an input")?;
    let set = load(&[dir.path().to_path_buf()], None)?;
    let kinds: Vec<_> = set.inputs.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, [InputKind::ExportUsersCsv, InputKind::OathSeedFile]);
    assert_eq!(
        user(&set, "ann@contoso.com")
            .tokens()
            .known()
            .map(|t| t.count()),
        Some(1)
    );
    Ok(())
}

#[test]
fn a_sqlite_file_without_layout_or_users_needs_a_mapping() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("PhoneFactor.pfdata");
    let db = rusqlite::Connection::open(&path)?;
    db.execute_batch("CREATE TABLE Accounts (Name TEXT); INSERT INTO Accounts VALUES ('x');")?;
    drop(db);
    let err = load(std::slice::from_ref(&path), None)
        .err()
        .ok_or("refused")?;
    assert_eq!(err.problem, FileProblem::NoUsers);
    assert!(err.to_string().contains("Accounts"), "{err}");
    assert!(err.to_string().contains("mapping"), "{err}");
    let _: PathBuf = path;
    Ok(())
}
