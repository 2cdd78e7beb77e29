//! NPS exports: `netsh nps export filename=nps.xml exportPSK=NO` (the `ias.xml` layout:
//! `/Root/Children/Microsoft_Internet_Authentication_Service/Children/Protocols/Children/
//! Microsoft_Radius_Protocol/Children/Clients/Children/<client>/Properties/…`, and remote
//! RADIUS server groups under `…/RADIUS_Server_Groups/Children/…`), and
//! `Get-NpsRadiusClient | ConvertTo-Json` (`Name`, `Address`, `VendorName`, `Enabled`,
//! `AuthAttributeRequired`, `SharedSecret`).
//!
//! With `exportPSK=YES` the XML holds every client's shared secret in clear, and the
//! cmdlet's JSON always does: such properties are skipped while reading, so no struct,
//! log or output ever holds them.
//!
//! The XML is read with `quick-xml`, already in the build through `phonenumber`: a
//! streaming reader that never expands external entities or DTDs, so an export cannot
//! make the reader fetch or balloon anything.

use std::collections::BTreeMap;

use quick_xml::events::Event;
use serde::Serialize;
use serde_json::Value;

use super::pwsh::{self, JsonPath, ShapeError};

/// A RADIUS client configured on NPS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NpsClient {
    pub name: String,
    pub address: Option<String>,
    pub vendor: Option<String>,
    pub enabled: Option<bool>,
    /// Where in the export: an XML path or a JSON path.
    pub place: String,
    /// Every property read, secrets left out.
    pub record: Value,
}

/// A remote RADIUS server NPS forwards requests to (a member of a server group).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NpsRemoteServer {
    pub group: String,
    pub name: String,
    pub address: String,
    pub place: String,
    pub record: Value,
}

/// What one NPS export held.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NpsExport {
    pub clients: Vec<NpsClient>,
    pub remote_servers: Vec<NpsRemoteServer>,
}

/// The NPS export XML could not be read: where, and what the reader said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub line: usize,
    pub column: usize,
    pub found: String,
    pub expected: String,
}

/// `NAS_Manufacturer` codes NPS writes for the vendors an admin picks most often.
fn vendor_name(code: &str) -> String {
    match code.trim() {
        "0" => "RADIUS Standard".into(),
        "9" => "Cisco".into(),
        "311" => "Microsoft".into(),
        "3076" => "Cisco VPN 3000/ASA/PIX".into(),
        "3375" => "F5".into(),
        "25461" => "Palo Alto Networks".into(),
        "3845" => "Citrix".into(),
        other => format!("vendor code {other}"),
    }
}

struct Frame {
    tag: String,
    name: Option<String>,
    /// Properties read from a `Properties` child.
    props: Option<BTreeMap<String, String>>,
    /// This element is one property (its parent is `Properties`) and is not a secret.
    collecting: Option<String>,
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Read `netsh nps export` XML.
pub fn parse_xml(text: &str) -> Result<NpsExport, XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = NpsExport::default();
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            let (line, column) = line_col(text, at);
            XmlError {
                line,
                column,
                found: format!("malformed XML ({e})"),
                expected: "well-formed XML as `netsh nps export` writes it".into(),
            }
        })?;
        match event {
            Event::Start(e) => open(&mut stack, &e, &mut saw_root),
            // `<x/>` has no End event of its own.
            Event::Empty(e) => {
                open(&mut stack, &e, &mut saw_root);
                close(&mut stack, &mut out);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last()
                    && top.collecting.is_some()
                {
                    let s = t
                        .xml10_content()
                        .map(|c| c.into_owned())
                        .unwrap_or_default();
                    append_prop(&mut stack, &s);
                }
            }
            Event::CData(t) if stack.last().is_some_and(|f| f.collecting.is_some()) => {
                let s = String::from_utf8_lossy(&t.into_inner()).into_owned();
                append_prop(&mut stack, &s);
            }
            Event::GeneralRef(r) if stack.last().is_some_and(|f| f.collecting.is_some()) => {
                let s = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => r
                        .decode()
                        .ok()
                        .and_then(|n| quick_xml::escape::resolve_predefined_entity(&n))
                        .unwrap_or("")
                        .to_string(),
                };
                append_prop(&mut stack, &s);
            }
            Event::End(_) => close(&mut stack, &mut out),
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root || !text.contains("Microsoft_Internet_Authentication_Service") {
        return Err(XmlError {
            line: 1,
            column: 1,
            found: "XML without a Microsoft_Internet_Authentication_Service element".into(),
            expected: "an NPS configuration as `netsh nps export` writes it".into(),
        });
    }
    if !stack.is_empty() {
        let (line, column) = line_col(text, text.len());
        return Err(XmlError {
            line,
            column,
            found: format!(
                "the end of the file inside <{}>",
                stack.last().map(|f| f.tag.as_str()).unwrap_or("")
            ),
            expected: "every element closed: the export looks truncated".into(),
        });
    }
    Ok(out)
}

fn open(stack: &mut Vec<Frame>, e: &quick_xml::events::BytesStart<'_>, saw_root: &mut bool) {
    let tag = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    if stack.is_empty() {
        *saw_root = true;
    }
    let name = e.try_get_attribute("name").ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.into_owned())
    });
    let parent_is_props = stack.last().is_some_and(|f| f.tag == "Properties");
    if tag == "Properties"
        && let Some(owner) = stack.last_mut()
    {
        owner.props.get_or_insert_with(BTreeMap::new);
    }
    // A secret property is never collected: its text is skipped as it streams past.
    let collecting = (parent_is_props && !pwsh::is_secret_key(&tag)).then(|| tag.clone());
    stack.push(Frame {
        tag,
        name,
        props: None,
        collecting,
    });
}

/// Add text to the property being read (the top frame) on its record (two frames up).
fn append_prop(stack: &mut [Frame], s: &str) {
    let n = stack.len();
    if n < 3 {
        return;
    }
    let Some(key) = stack[n - 1].collecting.clone() else {
        return;
    };
    if let Some(props) = stack[n - 3].props.as_mut() {
        props.entry(key).or_default().push_str(s);
    }
}

fn close(stack: &mut Vec<Frame>, out: &mut NpsExport) {
    let Some(frame) = stack.pop() else {
        return;
    };
    let Some(props) = frame.props else {
        return;
    };
    let tags: Vec<&str> = stack.iter().map(|f| f.tag.as_str()).collect();
    let place = format!("/{}/{}", tags.join("/"), frame.tag);
    let name = frame
        .name
        .clone()
        .unwrap_or_else(|| frame.tag.replace('_', " "));
    let record = Value::Object(
        props
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.trim().to_string())))
            .collect(),
    );
    let get = |k: &str| {
        props
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let parent = tags.len().checked_sub(1).and_then(|i| tags.get(i)).copied();
    let grandparent = tags.len().checked_sub(2).and_then(|i| tags.get(i)).copied();
    if parent == Some("Children") && grandparent == Some("Clients") {
        out.clients.push(NpsClient {
            name,
            address: get("IP_Address"),
            vendor: get("NAS_Manufacturer").map(|c| vendor_name(&c)),
            enabled: get("Radius_Client_Enabled")
                .map(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            place,
            record,
        });
    } else if tags.contains(&"RADIUS_Server_Groups") {
        // A server of a group carries an address property (the SDO's
        // PROPERTY_RADIUSSERVER_ADDRESS, written under a name holding "Address").
        let address = props
            .iter()
            .find(|(k, v)| k.to_ascii_lowercase().contains("address") && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string());
        if let Some(address) = address {
            // The group is the named element right under RADIUS_Server_Groups/Children.
            let group = stack
                .iter()
                .position(|f| f.tag == "RADIUS_Server_Groups")
                .and_then(|i| stack.get(i + 2))
                .map(|f| f.name.clone().unwrap_or_else(|| f.tag.replace('_', " ")))
                .unwrap_or_default();
            out.remote_servers.push(NpsRemoteServer {
                group,
                name,
                address,
                place,
                record,
            });
        }
    }
}

/// Read `Get-NpsRadiusClient | ConvertTo-Json`.
pub fn parse_clients_json(doc: &Value) -> Result<NpsExport, ShapeError> {
    let mut out = NpsExport::default();
    for (i, v) in pwsh::records(doc).into_iter().enumerate() {
        let at = JsonPath::root().index(i);
        let Value::Object(obj) = v else {
            return Err(ShapeError::new(&at, v, "an NPS RADIUS client object"));
        };
        out.clients.push(NpsClient {
            name: pwsh::text(obj, "Name", &at)?,
            address: pwsh::opt_text(obj, "Address", &at)?,
            vendor: pwsh::opt_text(obj, "VendorName", &at)?,
            enabled: pwsh::opt_bool(obj, "Enabled", &at)?,
            place: at.to_string(),
            record: pwsh::without_secrets(v),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Root xmlns:dt="urn:schemas-microsoft-com:datatypes">
<Children>
<Microsoft_Internet_Authentication_Service name="Microsoft_Internet_Authentication_Service">
<Children>
<Protocols name="Protocols"><Children>
<Microsoft_Radius_Protocol name="Microsoft_Radius_Protocol"><Children>
<Clients name="Clients"><Children>
<VPN_Gateway name="VPN Gateway"><Properties>
<IP_Address dt:dt="string">10.20.10.5</IP_Address>
<NAS_Manufacturer dt:dt="int">0</NAS_Manufacturer>
<Radius_Client_Enabled dt:dt="boolean">1</Radius_Client_Enabled>
<Shared_Secret dt:dt="string">Sup3r&amp;Secret</Shared_Secret>
</Properties></VPN_Gateway>
<RD_Gateway name="RD Gateway"><Properties>
<IP_Address dt:dt="string">rdgw.contoso.com</IP_Address>
<Radius_Client_Enabled dt:dt="boolean">1</Radius_Client_Enabled>
</Properties></RD_Gateway>
</Children></Clients>
</Children></Microsoft_Radius_Protocol>
</Children></Protocols>
<RADIUS_Server_Groups name="RADIUS_Server_Groups"><Children>
<MFA_Server_Group name="MFA Server Group"><Properties><Description dt:dt="string">g</Description></Properties><Children>
<MFA01 name="MFA01"><Properties>
<Server_Address dt:dt="string">mfa01.contoso.com</Server_Address>
<Authentication_Secret dt:dt="string">hunter2</Authentication_Secret>
</Properties></MFA01>
</Children></MFA_Server_Group>
</Children></RADIUS_Server_Groups>
</Children>
</Microsoft_Internet_Authentication_Service>
</Children>
</Root>"#;

    #[test]
    fn clients_and_forwarding_servers_without_secrets() {
        let nps = parse_xml(SAMPLE).expect("reads");
        assert_eq!(nps.clients.len(), 2);
        let vpn = &nps.clients[0];
        assert_eq!(vpn.name, "VPN Gateway");
        assert_eq!(vpn.address.as_deref(), Some("10.20.10.5"));
        assert_eq!(vpn.vendor.as_deref(), Some("RADIUS Standard"));
        assert_eq!(vpn.enabled, Some(true));
        assert!(
            vpn.place.ends_with("/Clients/Children/VPN_Gateway"),
            "{}",
            vpn.place
        );
        assert_eq!(nps.remote_servers.len(), 1);
        assert_eq!(nps.remote_servers[0].group, "MFA Server Group");
        assert_eq!(nps.remote_servers[0].address, "mfa01.contoso.com");
        let everything = format!(
            "{nps:?} {}",
            serde_json::to_string(&nps).unwrap_or_default()
        );
        assert!(
            !everything.contains("Sup3r") && !everything.contains("hunter2"),
            "{everything}"
        );
        assert!(!everything.contains("Shared_Secret"));
    }

    #[test]
    fn truncated_xml_names_line_and_column() {
        let cut = &SAMPLE[..SAMPLE.len() / 2];
        let e = parse_xml(cut).expect_err("refused");
        assert!(e.line > 1, "{e:?}");
        let bad = parse_xml("<Root><a></b></Root>").expect_err("refused");
        assert_eq!(bad.line, 1, "{bad:?}");
    }

    #[test]
    fn cmdlet_json_drops_the_secret() {
        let v = serde_json::json!({"Name": "VPN", "Address": "10.0.0.1", "SharedSecret": "abc123",
            "VendorName": "RADIUS Standard", "Enabled": true, "AuthAttributeRequired": false});
        let nps = parse_clients_json(&v).expect("reads");
        assert_eq!(nps.clients[0].address.as_deref(), Some("10.0.0.1"));
        assert!(!format!("{nps:?}").contains("abc123"));
    }
}
