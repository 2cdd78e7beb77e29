//! The simulated tenant's Graph semantics, over real HTTP on loopback with a plain
//! reqwest client: lookups and filters, paging, each rule on authentication methods,
//! hardware OATH, Staged Rollout, federation and the methods policy.

mod sim_support;

use std::collections::HashSet;

use mfa_cutover::sim::{DeviceStatus, MethodConfigId, PhoneType, WriteOp, group_names};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sim_support::{Client, start, totp_now};

fn ids(v: &Value) -> Vec<String> {
    v["value"]
        .as_array()
        .expect("a collection")
        .iter()
        .map(|x| x["id"].as_str().expect("an id").to_string())
        .collect()
}

#[tokio::test]
async fn users_resolve_by_upn_id_sid_employee_id_and_mail() {
    let sim = start(200).await;
    let c = Client::new(&sim);
    let (upn, id, sid, emp, mail) = sim.inspect(|t| {
        let u = t.users().find(|u| u.synced()).expect("a synced user");
        (
            u.upn().to_string(),
            u.id(),
            u.sid().expect("sid").to_string(),
            u.employee_id().to_string(),
            u.mail().to_string(),
        )
    });

    let a = c.get(&format!("/v1.0/users/{}", upn.to_uppercase())).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["id"], id);
    assert!(
        a.body["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with(sim.url())
    );
    assert!(
        a.body.get("onPremisesSecurityIdentifier").is_none(),
        "not a default property"
    );

    let a = c
        .get(&format!(
            "/v1.0/users/{id}?$select=id,onPremisesSecurityIdentifier,onPremisesSamAccountName,employeeId"
        ))
        .await;
    assert_eq!(a.body["onPremisesSecurityIdentifier"], sid);
    assert_eq!(a.body["employeeId"], emp);
    assert!(
        a.body.get("displayName").is_none(),
        "only what was selected"
    );

    let quoted = upn.replace('\'', "''");
    let a = c.get(&format!("/beta/users('{quoted}')")).await;
    assert_eq!(a.body["id"], id);

    for filter in [
        format!("userPrincipalName eq '{quoted}'"),
        format!("onPremisesSecurityIdentifier eq '{sid}'"),
        format!("employeeId eq '{emp}'"),
        format!("mail eq '{}'", mail.replace('\'', "''")),
        format!("onPremisesSecurityIdentifier in ('S-1-0', '{sid}')"),
    ] {
        let a = c
            .get(&format!(
                "/v1.0/users?$filter={}&$select=id",
                urlenc(&filter)
            ))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{filter}: {}", a.body);
        assert_eq!(ids(&a.body), vec![id.clone()], "{filter}");
    }

    let a = c.get("/v1.0/users/nobody@contoso.com").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.code(), "Request_ResourceNotFound");
    assert!(a.body["error"]["innerError"]["request-id"].is_string());
    assert!(a.body["error"]["message"].is_string());
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn sam_account_name_needs_advanced_query_as_graph_does() {
    let sim = start(100).await;
    let c = Client::new(&sim);
    let (sam, id) = sim.inspect(|t| {
        let u = t.users().find(|u| u.synced()).expect("synced");
        (u.sam_account_name().expect("sam").to_string(), u.id())
    });
    let filter = urlenc(&format!("onPremisesSamAccountName eq '{sam}'"));

    let a = c.get(&format!("/v1.0/users?$filter={filter}")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), "Request_UnsupportedQuery");

    let a = c
        .get(&format!("/v1.0/users?$filter={filter}&$count=true"))
        .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "$count without ConsistencyLevel"
    );

    let a = c
        .get_eventual(&format!("/v1.0/users?$filter={filter}"))
        .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "ConsistencyLevel without $count"
    );

    let a = c
        .get_eventual(&format!("/v1.0/users?$filter={filter}&$count=true"))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(ids(&a.body), vec![id]);
    assert_eq!(a.body["@odata.count"], 1);

    for bad in [
        "$top=0",
        "$top=1000",
        "$skip=5",
        "$select=nope",
        "$orderby=displayName",
    ] {
        let a = c.get(&format!("/v1.0/users?{bad}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let a = c.get("/v1.0/users?$top=999&$select=id").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(ids(&a.body).len(), sim.inspect(|t| t.user_count()));
}

#[tokio::test]
async fn members_page_through_opaque_skiptokens_on_the_sims_host() {
    let sim = start(1000).await;
    let c = Client::new(&sim);
    let (group_id, expected) = sim.inspect(|t| {
        let g = t.group(group_names::MIGRATION).expect("migration group");
        let users: HashSet<String> = g
            .transitive_users()
            .iter()
            .map(|upn| t.user(upn).expect("user").id())
            .collect();
        (g.id(), users)
    });
    assert!(expected.len() > 900);

    // transitiveMembers: groups and users, 7 to a page.
    let mut next = Some(format!(
        "/v1.0/groups/{group_id}/transitiveMembers?$select=id,userPrincipalName&$top=7"
    ));
    let (mut users, mut groups, mut pages) = (HashSet::new(), 0, 0);
    while let Some(url) = next.take() {
        let a = c.get(&url).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert!(a.body["@odata.context"].is_string());
        pages += 1;
        for m in a.body["value"].as_array().expect("value") {
            match m["@odata.type"].as_str() {
                Some("#microsoft.graph.user") => {
                    assert!(
                        users.insert(m["id"].as_str().expect("id").to_string()),
                        "no repeats"
                    );
                    assert!(m.get("displayName").is_none());
                }
                Some("#microsoft.graph.group") => groups += 1,
                other => panic!("unexpected member {other:?}"),
            }
        }
        if let Some(link) = a.body["@odata.nextLink"].as_str() {
            assert!(
                link.starts_with(&format!("{}/v1.0/groups/", sim.url())),
                "{link}"
            );
            assert!(link.contains("skiptoken="));
            next = Some(link.to_string());
        }
    }
    assert_eq!(users, expected);
    assert_eq!(groups, 3, "the three wave groups");
    assert!(pages > 100, "{pages} pages");

    // The user cast needs advanced query; its first page holds only groups: empty, with a
    // nextLink. ConsistencyLevel is not carried into the nextLink: the client resends it.
    let cast = format!(
        "/v1.0/groups/{group_id}/transitiveMembers/microsoft.graph.user?$top=3&$count=true"
    );
    let a = c.get(&cast).await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "cast without ConsistencyLevel"
    );
    let a = c.get_eventual(&cast).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["value"].as_array().map(Vec::len), Some(0));
    assert_eq!(a.body["@odata.count"], expected.len());
    let link = a.body["@odata.nextLink"]
        .as_str()
        .expect("a nextLink")
        .to_string();
    assert_eq!(c.get(&link).await.status, StatusCode::BAD_REQUEST);
    let a = c.get_eventual(&link).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["value"].as_array().map(Vec::len), Some(3));
    assert!(
        a.body.get("@odata.count").is_none(),
        "count on the first page only"
    );

    // A token is bound to its request.
    let token = link.split("skiptoken=").nth(1).expect("token");
    let other = format!("/v1.0/groups/{group_id}/members?$skiptoken={token}");
    let a = c.get(&other).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // Direct members of the nested group are the three wave groups only.
    let a = c.get(&format!("/v1.0/groups/{group_id}/members")).await;
    assert_eq!(a.body["value"].as_array().map(Vec::len), Some(3));

    // Groups by name.
    let a = c
        .get(&format!(
            "/v1.0/groups?$filter={}",
            urlenc(&format!("displayName eq '{}'", group_names::PILOT))
        ))
        .await;
    assert_eq!(a.body["value"][0]["displayName"], group_names::PILOT);
    let a = c
        .get(&format!(
            "/v1.0/groups?$filter={}",
            urlenc(&format!("displayName eq '{}'", group_names::DYNAMIC))
        ))
        .await;
    assert_eq!(
        a.body["value"][0]["groupTypes"],
        json!(["DynamicMembership"])
    );
}

#[tokio::test]
async fn phone_methods_follow_graphs_rules() {
    let sim = start(100).await;
    let c = Client::new(&sim);
    let (upn, id) = sim.inspect(|t| {
        let u = t
            .users()
            .find(|u| u.phones().is_empty() && u.device_count() == 0)
            .expect("a user with no methods");
        (u.upn().to_string(), u.id())
    });
    let phones = format!("/v1.0/users/{id}/authentication/phoneMethods");

    let a = c.get(&phones).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["value"], json!([]));

    let a = c
        .post(
            &phones,
            json!({"phoneNumber": "+1 4255550123", "phoneType": "alternateMobile"}),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "alternateMobile needs mobile"
    );

    for bad in [
        "4255550123",
        "+1 425-555-0123",
        "+1 (425) 5550123",
        "+1 4255550123 x1",
    ] {
        let a = c
            .post(&phones, json!({"phoneNumber": bad, "phoneType": "mobile"}))
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let a = c
        .post(
            &phones,
            json!({"phoneNumber": "+1 4255550123", "phoneType": "mobile", "smsSignInState": "ready"}),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "smsSignInState is read-only"
    );

    let a = c
        .post(
            &phones,
            json!({"phoneNumber": "+1 4255550123", "phoneType": "mobile"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["id"], "3179e48a-750b-4051-897c-87b9720928f7");
    assert_eq!(a.body["phoneType"], "mobile");
    let a = c
        .post(
            &phones,
            json!({"phoneNumber": "+1 4255550199", "phoneType": "mobile"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "one phone per type");
    let a = c
        .post(
            &phones,
            json!({"phoneNumber": "+1 4255550124", "phoneType": "alternateMobile"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["id"], "b6332ec1-7057-4abe-9331-3d72feddfe41");
    let a = c
        .post(
            &phones,
            json!({"phoneNumber": "+1 4255550125x4321", "phoneType": "office"}),
        )
        .await;
    assert_eq!(a.body["id"], "e37fc753-ff3b-4958-9484-eaa9425c82bc");

    let mobile = format!("{phones}/3179e48a-750b-4051-897c-87b9720928f7");
    let a = c
        .patch(&mobile, json!({"phoneNumber": "+1 4255550999"}))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = c
        .patch(
            &mobile,
            json!({"phoneNumber": "+1 4255550999", "phoneType": "office"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "phoneType is immutable");
    let a = c.get(&mobile).await;
    assert_eq!(a.body["phoneNumber"], "+1 4255550999");

    // The mobile cannot go while the alternate exists.
    assert_eq!(c.delete(&mobile).await.status, StatusCode::BAD_REQUEST);

    // The default method's phone cannot be deleted.
    let prefs = format!("/beta/users/{upn}/authentication/signInPreferences");
    let a = c
        .patch(
            &prefs,
            json!({"userPreferredMethodForSecondaryAuthentication": "voiceOffice"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let office = format!("{phones}/e37fc753-ff3b-4958-9484-eaa9425c82bc");
    let a = c.delete(&office).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), "invalidRequest");
    c.patch(
        &prefs,
        json!({"userPreferredMethodForSecondaryAuthentication": "sms"}),
    )
    .await;
    assert_eq!(c.delete(&office).await.status, StatusCode::NO_CONTENT);
    assert_eq!(c.get(&office).await.status, StatusCode::NOT_FOUND);

    let a = c.get(&prefs).await;
    assert_eq!(
        a.body["userPreferredMethodForSecondaryAuthentication"],
        "sms"
    );

    sim.inspect(|t| {
        let u = t.user(&upn).expect("user");
        assert_eq!(u.phone(PhoneType::Mobile), Some("+1 4255550999"));
        assert_eq!(u.phone(PhoneType::Office), None);
        let adds = t
            .write_log()
            .iter()
            .filter(|w| {
                w.user.as_deref() == Some(id.as_str()) && matches!(w.op, WriteOp::AddPhone(_))
            })
            .count();
        assert_eq!(adds, 3, "refused writes are not logged");
    });
}

#[tokio::test]
async fn sign_in_preferences_refuse_unregistered_methods_and_are_beta_only() {
    let sim = start(100).await;
    let c = Client::new(&sim);
    let upn = sim.inspect(|t| {
        t.users()
            .find(|u| u.phones().is_empty() && u.device_count() == 0)
            .expect("user")
            .upn()
            .to_string()
    });
    let prefs = format!("/beta/users/{upn}/authentication/signInPreferences");
    for m in [
        "push",
        "oath",
        "sms",
        "voiceMobile",
        "voiceAlternateMobile",
        "voiceOffice",
    ] {
        let a = c
            .patch(
                &prefs,
                json!({"userPreferredMethodForSecondaryAuthentication": m}),
            )
            .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{m}");
    }
    let a = c
        .patch(
            &prefs,
            json!({"userPreferredMethodForSecondaryAuthentication": "carrierPigeon"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    sim.configure(|a| a.add_authenticator(&upn, "Pixel 8").expect("room"));
    let a = c
        .patch(
            &prefs,
            json!({"userPreferredMethodForSecondaryAuthentication": "push"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);

    let v1 = format!("/v1.0/users/{upn}/authentication/signInPreferences");
    let a = c.get(&v1).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "beta only");
    let a = c
        .get(&format!("/v1.0/users/{upn}/authentication/requirements"))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    let req = format!("/beta/users/{upn}/authentication/requirements");
    assert_eq!(c.get(&req).await.body["perUserMfaState"], "disabled");
    assert_eq!(
        c.patch(&req, json!({"perUserMfaState": "enforced"}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.get(&req).await.body["perUserMfaState"], "enforced");
    assert_eq!(
        c.patch(&req, json!({"perUserMfaState": "sometimes"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn authenticator_and_software_oath_are_read_and_delete_only() {
    let sim = start(50).await;
    let c = Client::new(&sim);
    let upn = sim.inspect(|t| t.users().next().expect("user").upn().to_string());
    let (auth_id, sw_id) = sim.configure(|a| {
        (
            a.add_authenticator(&upn, "iPhone 15").expect("room"),
            a.add_software_oath(&upn).expect("room"),
        )
    });
    let base = format!("/v1.0/users/{upn}/authentication");

    let a = c
        .get(&format!("{base}/microsoftAuthenticatorMethods"))
        .await;
    assert!(
        a.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["displayName"] == "iPhone 15")
    );
    let a = c.get(&format!("{base}/softwareOathMethods/{sw_id}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["secretKey"], Value::Null, "never returned");
    let a = c
        .post(
            &format!("{base}/microsoftAuthenticatorMethods"),
            json!({"displayName": "x"}),
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "no create in public Graph"
    );
    let a = c
        .post(
            &format!("{base}/softwareOathMethods"),
            json!({"secretKey": "JBSWY3DPEHPK3PXP"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);

    // The polymorphic list: every method with its @odata.type, password included.
    let a = c.get(&format!("{base}/methods")).await;
    let types: Vec<&str> = a.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["@odata.type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"#microsoft.graph.passwordAuthenticationMethod"));
    assert!(types.contains(&"#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"));
    assert!(types.contains(&"#microsoft.graph.softwareOathAuthenticationMethod"));

    assert_eq!(
        c.delete(&format!("{base}/microsoftAuthenticatorMethods/{auth_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.delete(&format!("{base}/microsoftAuthenticatorMethods/{auth_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.delete(&format!("{base}/softwareOathMethods/{sw_id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    sim.inspect(|t| {
        assert!(
            !t.user(&upn)
                .unwrap()
                .authenticators()
                .contains(&"iPhone 15")
        )
    });
}

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn device(serial: &str) -> Value {
    json!({
        "serialNumber": serial,
        "manufacturer": "Contoso",
        "model": "OTP c200",
        "secretKey": SECRET,
        "timeIntervalInSeconds": 30,
        "hashFunction": "hmacsha1",
        "displayName": format!("Token {serial}"),
    })
}

#[tokio::test]
async fn hardware_oath_inventory_assignment_and_activation() {
    let sim = start(50).await;
    let c = Client::new(&sim);
    let (upn, uid) = sim.inspect(|t| {
        let u = t.users().find(|u| u.device_count() == 0).expect("user");
        (u.upn().to_string(), u.id())
    });
    let inventory = "/beta/directory/authenticationMethodDevices/hardwareOathDevices";

    let a = c
        .post(
            "/v1.0/directory/authenticationMethodDevices/hardwareOathDevices",
            device("S1"),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "beta only");

    let a = c.post(inventory, device("S1")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["secretKey"], Value::Null);
    assert_eq!(a.body["status"], "available");
    let dev1 = a.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        c.post(inventory, device("s1")).await.status,
        StatusCode::BAD_REQUEST,
        "serials are unique"
    );
    let mut bad = device("S9");
    bad["timeIntervalInSeconds"] = json!(45);
    assert_eq!(c.post(inventory, bad).await.status, StatusCode::BAD_REQUEST);
    let mut bad = device("S9");
    bad["secretKey"] = json!("not base32!");
    assert_eq!(c.post(inventory, bad).await.status, StatusCode::BAD_REQUEST);

    let a = c
        .get(&format!(
            "{inventory}?$filter={}",
            urlenc("serialNumber eq 'S1'")
        ))
        .await;
    assert_eq!(ids(&a.body), vec![dev1.clone()]);
    assert_eq!(a.body["value"][0]["secretKey"], Value::Null);

    // Assign, refuse a wrong code, activate with the current one.
    let methods = format!("/beta/users/{uid}/authentication/hardwareOathMethods");
    let a = c.post(&methods, json!({"device": {"id": dev1}})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["device"]["status"], "assigned");
    let a = c.post(&methods, json!({"device": {"id": dev1}})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "already assigned");
    let good = totp_now(SECRET, 30);
    let wrong = format!(
        "{:06}",
        (good.parse::<u32>().unwrap() + 500_000) % 1_000_000
    );
    let a = c
        .post(
            &format!("{methods}/{dev1}/activate"),
            json!({"verificationCode": wrong}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    sim.inspect(|t| {
        assert_eq!(
            t.hardware_device("S1").unwrap().status(),
            DeviceStatus::FailedActivation
        )
    });
    let a = c
        .post(
            &format!("{methods}/{dev1}/activate"),
            json!({"verificationCode": totp_now(SECRET, 30), "displayName": "Desk token"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    sim.inspect(|t| {
        let u = t.user(&upn).unwrap();
        assert_eq!(u.hardware_tokens(), vec![("S1", DeviceStatus::Activated)]);
        assert_eq!(
            t.hardware_device("S1").unwrap().assigned_to(),
            Some(upn.as_str())
        );
    });
    // Now `oath` is a registered default.
    let a = c
        .patch(
            &format!("/beta/users/{uid}/authentication/signInPreferences"),
            json!({"userPreferredMethodForSecondaryAuthentication": "oath"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);

    // By serial number, and nothing changes with a wrong code.
    assert_eq!(
        c.post(inventory, device("S2")).await.status,
        StatusCode::CREATED
    );
    let by_serial = format!("{methods}/assignAndActivateBySerialNumber");
    let a = c
        .post(
            &by_serial,
            json!({"serialNumber": "S2", "verificationCode": wrong, "displayName": "x"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    sim.inspect(|t| {
        assert_eq!(
            t.hardware_device("S2").unwrap().status(),
            DeviceStatus::Available
        )
    });
    let a = c
        .post(
            &by_serial,
            json!({"serialNumber": "S2", "verificationCode": totp_now(SECRET, 30), "displayName": "x"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    let a = c
        .post(
            &by_serial,
            json!({"serialNumber": "NOPE", "verificationCode": "123456"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    let a = c.get(&methods).await;
    assert_eq!(a.body["value"].as_array().map(Vec::len), Some(2));
    assert_eq!(a.body["value"][0]["device"]["secretKey"], Value::Null);
    let a = c
        .get(&format!("/beta/users/{uid}/authentication/methods"))
        .await;
    assert!(
        a.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["@odata.type"] == "#microsoft.graph.hardwareOathAuthenticationMethod")
    );
    let a = c
        .get(&format!("/v1.0/users/{uid}/authentication/methods"))
        .await;
    assert!(
        !a.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["@odata.type"] == "#microsoft.graph.hardwareOathAuthenticationMethod"),
        "v1.0 has no hardware OATH"
    );

    // Deactivate keeps the assignment; unassign returns it to the inventory; only an
    // unassigned token can be deleted.
    assert_eq!(
        c.post(&format!("{methods}/{dev1}/deactivate"), json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    sim.inspect(|t| {
        assert_eq!(
            t.hardware_device("S1").unwrap().status(),
            DeviceStatus::Assigned
        )
    });
    assert_eq!(
        c.delete(&format!("{inventory}/{dev1}")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        c.delete(&format!("{methods}/{dev1}")).await.status,
        StatusCode::NO_CONTENT
    );
    sim.inspect(|t| {
        let d = t.hardware_device("S1").unwrap();
        assert_eq!(
            (d.status(), d.assigned_to()),
            (DeviceStatus::Available, None)
        );
    });
    assert_eq!(
        c.delete(&format!("{inventory}/{dev1}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.get(&format!("{inventory}/{dev1}")).await.status,
        StatusCode::NOT_FOUND
    );

    // The write log shows each creation once.
    sim.inspect(|t| {
        let created: Vec<&str> = t
            .write_log()
            .iter()
            .filter_map(|w| match &w.op {
                WriteOp::CreateHardwareDevice { serial, .. } => Some(serial.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(created, vec!["S1", "S2"]);
    });
}

#[tokio::test]
async fn five_devices_at_most() {
    let sim = start(50).await;
    let c = Client::new(&sim);
    let (upn, uid) = sim.inspect(|t| {
        let u = t.users().find(|u| u.device_count() == 0).expect("user");
        (u.upn().to_string(), u.id())
    });
    sim.configure(|a| {
        for n in 0..3 {
            a.add_authenticator(&upn, &format!("Phone {n}"))
                .expect("room");
        }
        a.add_software_oath(&upn).expect("room");
    });
    let inventory = "/beta/directory/authenticationMethodDevices/hardwareOathDevices";
    let mut with_owner = device("FIVE");
    with_owner["assignTo"] = json!({"id": uid});
    let a = c.post(inventory, with_owner).await;
    assert_eq!(
        a.status,
        StatusCode::CREATED,
        "the fifth device: {}",
        a.body
    );
    assert_eq!(a.body["status"], "assigned");
    assert_eq!(
        c.post(inventory, device("SIX")).await.status,
        StatusCode::CREATED
    );
    let a = c
        .post(
            &format!("/beta/users/{uid}/authentication/hardwareOathMethods/assignAndActivateBySerialNumber"),
            json!({"serialNumber": "SIX", "verificationCode": totp_now(SECRET, 30)}),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), "invalidRequest");
    sim.inspect(|t| assert_eq!(t.user(&upn).unwrap().device_count(), 5));
}

#[tokio::test]
async fn staged_rollout_policies_and_their_groups() {
    let sim = start(300).await;
    let c = Client::new(&sim);
    let policies = "/v1.0/policies/featureRolloutPolicies";
    let body = json!({
        "displayName": "MFA rollout policy",
        "description": "MFA rollout policy",
        "feature": "multiFactorAuthentication",
        "isEnabled": true,
        "isAppliedToOrganization": false,
    });

    let app = Client::new(&sim).with_token(sim.app_token());
    let a = app.get(policies).await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "app-only tokens are refused"
    );
    assert_eq!(
        app.post(policies, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );

    let mut bad = body.clone();
    bad["feature"] = json!("teleportation");
    assert_eq!(c.post(policies, bad).await.status, StatusCode::BAD_REQUEST);

    let a = c.post(policies, body.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(
        a.body["feature"], "unknownFutureValue",
        "an evolvable enum member"
    );
    let pid = a.body["id"].as_str().unwrap().to_string();
    let a = c
        .call(
            reqwest::Method::GET,
            &format!("{policies}/{pid}"),
            &[("Prefer", "include-unknown-enum-members")],
            None,
        )
        .await;
    assert_eq!(a.body["feature"], "multiFactorAuthentication");
    assert_eq!(
        a.header("Preference-Applied"),
        Some("include-unknown-enum-members")
    );
    assert_eq!(
        c.post(policies, body.clone()).await.status,
        StatusCode::BAD_REQUEST,
        "one policy per feature"
    );

    let group_id = |name: &str| sim.inspect(|t| t.group(name).expect("group").id());
    let add = |id: String| {
        let c = &c;
        let pid = pid.clone();
        async move {
            c.post(
                &format!("{policies}/{pid}/appliesTo/$ref"),
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")}),
            )
            .await
        }
    };
    assert_eq!(
        add(group_id(group_names::PILOT)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        add(group_id(group_names::PILOT)).await.status,
        StatusCode::BAD_REQUEST,
        "already there"
    );
    let a = add(group_id(group_names::DYNAMIC)).await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "dynamic groups are refused"
    );
    assert_eq!(
        add(group_id(group_names::CONTRACTORS)).await.status,
        StatusCode::BAD_REQUEST,
        "contacts"
    );
    let user_id = sim.inspect(|t| t.users().next().unwrap().id());
    assert_eq!(
        add(user_id).await.status,
        StatusCode::BAD_REQUEST,
        "groups only"
    );
    assert_eq!(
        add("00000000-0000-0000-0000-000000000001".into())
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Up to ten groups.
    let extra: Vec<String> = sim.configure(|a| {
        (0..10)
            .map(|n| {
                a.add_group(&format!("Rollout extra {n}"), &[])
                    .expect("group")
            })
            .collect()
    });
    for id in &extra[..9] {
        assert_eq!(add(id.clone()).await.status, StatusCode::CREATED);
    }
    let a = add(extra[9].clone()).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "an eleventh group");

    let a = c.get(&format!("{policies}/{pid}?$expand=appliesTo")).await;
    let applied = a.body["appliesTo"].as_array().expect("expanded");
    assert_eq!(applied.len(), 10);
    assert_eq!(applied[0]["displayName"], group_names::PILOT);
    assert!(
        c.get(&format!("{policies}/{pid}"))
            .await
            .body
            .get("appliesTo")
            .is_none()
    );

    let pilot = group_id(group_names::PILOT);
    assert_eq!(
        c.delete(&format!("{policies}/{pid}/appliesTo/{pilot}/$ref"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.delete(&format!("{policies}/{pid}/appliesTo/{pilot}/$ref"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.patch(
            &format!("{policies}/{pid}"),
            json!({"feature": "seamlessSso"})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        c.patch(&format!("{policies}/{pid}"), json!({"isEnabled": false}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    sim.inspect(|t| {
        let p = t.rollout_policies().next().expect("policy");
        assert!(!p.is_enabled());
        assert_eq!(p.feature(), "multiFactorAuthentication");
        assert_eq!(p.groups().len(), 9);
    });
    assert_eq!(
        c.delete(&format!("{policies}/{pid}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.get(policies).await.body["value"], json!([]));
}

#[tokio::test]
async fn domains_and_federation_configuration() {
    let sim = start(20).await;
    let c = Client::new(&sim);
    let a = c.get("/v1.0/domains").await;
    let domains = a.body["value"].as_array().expect("domains").clone();
    assert_eq!(domains.len(), 2);
    let federated = domains
        .iter()
        .find(|d| d["authenticationType"] == "Federated")
        .expect("a federated domain");
    let managed = domains
        .iter()
        .find(|d| d["authenticationType"] == "Managed")
        .expect("a managed domain");
    assert_eq!(federated["isVerified"], true);
    let fed = federated["id"].as_str().unwrap();
    let man = managed["id"].as_str().unwrap();

    let a = c
        .get(&format!("/v1.0/domains/{man}/federationConfiguration"))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = c
        .get(&format!("/v1.0/domains/{fed}/federationConfiguration"))
        .await;
    let list = a.body["value"].as_array().expect("list");
    assert_eq!(list.len(), 1, "exactly one");
    assert_eq!(
        list[0]["federatedIdpMfaBehavior"],
        Value::Null,
        "unset reads as null"
    );
    let cfg = format!(
        "/beta/domains/{fed}/federationConfiguration/{}",
        list[0]["id"].as_str().unwrap()
    );

    for bad in [
        json!({"federatedIdpMfaBehavior": "sometimes"}),
        json!({"federatedIdpMfaBehavior": 3}),
        json!({"color": "red"}),
    ] {
        assert_eq!(c.patch(&cfg, bad).await.status, StatusCode::BAD_REQUEST);
    }
    let a = c
        .patch(&cfg, json!({"@odata.type": "#microsoft.graph.internalDomainFederation", "federatedIdpMfaBehavior": "rejectMfaByFederatedIdp"}))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    assert_eq!(
        c.get(&cfg).await.body["federatedIdpMfaBehavior"],
        "rejectMfaByFederatedIdp"
    );
    sim.inspect(|t| {
        assert_eq!(
            t.federation_mfa_behavior(fed),
            Some(Some("rejectMfaByFederatedIdp"))
        )
    });
}

#[tokio::test]
async fn authentication_methods_policy_per_version_and_configurable() {
    let sim = start(20).await;
    let c = Client::new(&sim);
    let ids_of = |v: &Value| -> Vec<String> {
        v["authenticationMethodConfigurations"]
            .as_array()
            .expect("configurations")
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    let a = c.get("/beta/policies/authenticationMethodsPolicy").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(ids_of(&a.body).contains(&"HardwareOath".to_string()));
    let voice = a.body["authenticationMethodConfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "Voice")
        .unwrap()
        .clone();
    assert_eq!(voice["state"], "enabled");
    assert_eq!(voice["includeTargets"][0]["id"], "all_users");
    let a = c.get("/v1.0/policies/authenticationMethodsPolicy").await;
    assert!(!ids_of(&a.body).contains(&"HardwareOath".to_string()));

    let a = c
        .patch(
            "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Voice",
            json!({"@odata.type": "#microsoft.graph.voiceAuthenticationMethodConfiguration", "state": "disabled"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    sim.inspect(|t| assert!(!t.method_enabled(MethodConfigId::Voice)));
    sim.configure(|a| {
        a.set_method_enabled(MethodConfigId::Sms, false);
        a.set_method_groups(
            MethodConfigId::MicrosoftAuthenticator,
            &[group_names::PILOT],
        )
        .expect("group");
    });
    let a = c
        .get("/beta/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/MicrosoftAuthenticator")
        .await;
    let pilot = sim.inspect(|t| t.group(group_names::PILOT).unwrap().id());
    assert_eq!(a.body["includeTargets"][0]["id"], pilot);
    let a = c
        .get("/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Sms")
        .await;
    assert_eq!(a.body["state"], "disabled");
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_like_graph() {
    let sim = start(10).await;
    let c = Client::new(&sim);
    let upn = sim.inspect(|t| t.users().next().unwrap().upn().to_string());
    let a = c.get("/v1.0/wombats").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.code(), "BadRequest");
    let a = c.get("/v2.0/users").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = c.delete("/v1.0/users").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    let a = c
        .get(&format!(
            "/v1.0/users/{upn}/authentication/hardwareOathMethods"
        ))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "beta only");
    let a = c
        .call(
            reqwest::Method::POST,
            &format!("/v1.0/users/{upn}/authentication/phoneMethods"),
            &[("Content-Type", "application/json")],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "empty body");
}

/// The tenant of `Sim` for a seed and size holds the people `sample-data` writes for the
/// same seed and size: matchable by UPN, SID and employeeId, with their Entra methods and
/// their groups.
#[tokio::test]
async fn the_tenant_holds_the_population_people() {
    use mfa_cutover::datafile::sample::{MfaIdentity, Population, Presence};
    let sim = sim_support::start(1000).await;
    let people: Vec<_> = Population::new(1, 1000).people().collect();
    let (mut present, mut by_sid, mut by_attr) = (0, Vec::new(), Vec::new());
    sim.inspect(|t| {
        let wave_members: Vec<HashSet<&str>> = group_names::WAVES
            .iter()
            .map(|w| t.group(w).unwrap().direct_users().into_iter().collect())
            .collect();
        let pilot: HashSet<&str> = t
            .group(group_names::PILOT)
            .unwrap()
            .direct_users()
            .into_iter()
            .collect();
        for p in &people {
            let u = t.user(&p.upn);
            if p.presence == Presence::MfaServerOnly {
                assert!(u.is_none(), "{} left the company", p.upn);
                continue;
            }
            present += 1;
            let u = u.unwrap_or_else(|| panic!("{} is in Entra", p.upn));
            assert_eq!(u.employee_id(), p.employee_id);
            assert_eq!(u.mail(), p.mail);
            assert_eq!(u.display_name(), p.display_name);
            assert_eq!(u.synced(), p.synced);
            if p.synced {
                assert_eq!(u.sid(), Some(p.sid.as_str()));
                assert_eq!(u.sam_account_name(), Some(p.sam_account_name.as_str()));
            } else {
                assert_eq!(u.sid(), None, "cloud-only users have no on-premises SID");
            }
            let phones: Vec<(String, String)> = u
                .phones()
                .into_iter()
                .map(|(ty, n)| (ty.graph_name().to_string(), n.to_string()))
                .collect();
            let mut seeded = p.entra.phones.clone();
            seeded.sort_by_key(|(ty, _)| PhoneType::from_graph(ty));
            assert_eq!(phones, seeded, "{}", p.upn);
            assert_eq!(
                u.authenticators(),
                p.entra
                    .authenticators
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            );
            assert_eq!(
                u.default_method().map(|m| m.graph_name()),
                p.entra.default_method.as_deref()
            );
            assert!(wave_members[usize::from(p.wave) - 1].contains(p.upn.as_str()));
            assert_eq!(pilot.contains(p.upn.as_str()), p.pilot);
            match p.identity {
                MfaIdentity::Sid => by_sid.push((p.sid.clone(), u.id())),
                MfaIdentity::Attribute => by_attr.push((p.employee_id.clone(), u.id())),
                MfaIdentity::Upn => {}
            }
        }
        assert_eq!(t.user_count(), present);
    });
    assert!(present > 900 && !by_sid.is_empty() && !by_attr.is_empty());

    // The rules M2 and M3 find them over the wire.
    let c = Client::new(&sim);
    for (sid, id) in by_sid.iter().take(5) {
        let a = c
            .get(&format!(
                "/v1.0/users?$filter={}&$select=id",
                urlenc(&format!("onPremisesSecurityIdentifier eq '{sid}'"))
            ))
            .await;
        assert_eq!(ids(&a.body), vec![id.clone()]);
    }
    for (emp, id) in by_attr.iter().take(5) {
        let a = c
            .get(&format!(
                "/v1.0/users?$filter={}&$select=id",
                urlenc(&format!("employeeId eq '{emp}'"))
            ))
            .await;
        assert_eq!(ids(&a.body), vec![id.clone()]);
    }

    // UPNs with an apostrophe resolve over the wire, in both key forms.
    let odd = people
        .iter()
        .find(|p| p.upn.contains('\'') && p.presence != Presence::MfaServerOnly)
        .expect("an apostrophe in some UPN");
    let a = c
        .get(&format!(
            "/v1.0/users/{}?$select=id,userPrincipalName",
            odd.upn
        ))
        .await;
    assert_eq!(a.body["userPrincipalName"], odd.upn, "{}", a.body);
    let a = c
        .get(&format!("/v1.0/users('{}')", odd.upn.replace('\'', "''")))
        .await;
    assert_eq!(a.body["userPrincipalName"], odd.upn);

    // The same seed gives the same ids, whatever the size.
    let small = sim_support::start(100).await;
    let first = &people[0].upn;
    let (a, b) = (
        sim.inspect(|t| t.user(first).map(|u| u.id())),
        small.inspect(|t| t.user(first).map(|u| u.id())),
    );
    assert_eq!(a, b);
    assert_eq!(sim.tenant_id(), small.tenant_id());
}
