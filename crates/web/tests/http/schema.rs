//! Every JSON answer the tests receive from the API is checked against the OpenAPI document Severn serves:
//! the schema of its operation and status, resolved through the document's components. A body that does not
//! match fails the test that received it. The checker covers the part of JSON Schema the generated document
//! uses (`$ref`, `type`, `properties`, `required`, `additionalProperties`, `items`, `enum`, `oneOf`,
//! `anyOf`, `allOf`, `minimum`, `nullable`, and `format: date-time`, which Severn gives as RFC 3339 in UTC).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::OnceLock;

/// The generated document, parsed once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(severn_web::openapi::document()).expect("the OpenAPI document is JSON")
    })
}

/// Checks the JSON body of an answer to `method path` (query included or not) against the document. An
/// address the document does not describe (an unknown one, answered 404) and an error status an operation
/// does not list are held to the error schema; a success the document does not list fails.
pub fn check_answer(method: &Method, path: &str, status: StatusCode, body: &str) {
    let document = document();
    let path = path.split('?').next().unwrap_or(path);
    if path == "/api/openapi.json" {
        return;
    }
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| {
        panic!("{method} {path} answered {status} with a body that is not JSON ({e}): {body}")
    });
    let operation = operation(document, method, path);
    let described = operation.and_then(|operation| {
        operation["responses"][status.as_str()]["content"]["application/json"]["schema"].as_object()
    });
    let schema = match described {
        Some(schema) => Value::Object(schema.clone()),
        None if status.is_client_error() || status.is_server_error() => {
            json!({ "$ref": "#/components/schemas/Error" })
        }
        None => panic!(
            "{method} {path} answered {status}, which the OpenAPI document does not describe: {body}"
        ),
    };
    if let Err(mismatch) = validate(document, &schema, &value, "$") {
        panic!(
            "{method} {path} answered {status} with a body the OpenAPI document does not allow: {mismatch}\n{body}"
        );
    }
}

/// The operation for `method` at `path`: a template segment in braces matches one segment, or the rest of
/// the path when it is the last (references may hold `/`); exact lengths are preferred.
fn operation<'a>(document: &'a Value, method: &Method, path: &str) -> Option<&'a Value> {
    let wanted: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let paths = document["paths"].as_object()?;
    let matches = |template: &str, greedy: bool| {
        let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        let param = |part: &str| part.starts_with('{') && part.ends_with('}');
        let fits = parts.len() == wanted.len()
            || (greedy && wanted.len() > parts.len() && parts.last().is_some_and(|p| param(p)));
        fits && parts
            .iter()
            .zip(&wanted)
            .all(|(part, given)| param(part) || part == given)
    };
    let method = method.as_str().to_lowercase();
    [false, true].into_iter().find_map(|greedy| {
        paths
            .iter()
            .find(|(template, item)| matches(template, greedy) && item.get(&method).is_some())
            .map(|(_, item)| &item[&method])
    })
}

/// Whether `value` is allowed by `schema`, or where it is not.
pub fn validate(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("{at}: reference {reference} is not to a component schema"))?;
        let target = &document["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: the document has no schema {name}"));
        }
        return validate(document, target, value, at);
    }
    if schema["nullable"] == true && value.is_null() {
        return Ok(());
    }
    if let Some(types) = types(schema)
        && !types.iter().any(|t| is_type(t, value))
    {
        return Err(format!("{at}: {value} is not {}", types.join(" or ")));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if schema["format"] == "date-time"
        && let Some(text) = value.as_str()
        && (!text.ends_with('Z') || text.parse::<jiff::Timestamp>().is_err())
    {
        return Err(format!("{at}: {text:?} is not an RFC 3339 time in UTC"));
    }
    if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64())
        && number < minimum
    {
        return Err(format!("{at}: {number} is below the minimum {minimum}"));
    }
    if schema["allOf"].is_array() {
        // The parts describe one object together (a flattened struct): a field one part names is not an
        // extra field to another, so the parts are checked as one schema.
        return validate(document, &merged_all_of(document, schema), value, at);
    }
    if let Some(any) = schema["anyOf"].as_array()
        && !any
            .iter()
            .any(|part| validate(document, part, value, at).is_ok())
    {
        return Err(format!("{at}: {value} matches none of anyOf"));
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let errors: Vec<String> = one
            .iter()
            .filter_map(|part| validate(document, part, value, at).err())
            .collect();
        let matched = one.len() - errors.len();
        if matched != 1 {
            return Err(format!(
                "{at}: {value} matches {matched} of oneOf, not exactly one ({})",
                errors.join("; ")
            ));
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema["properties"].as_object();
        if let Some(required) = schema["required"].as_array() {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    return Err(format!("{at}: required field {name:?} is missing"));
                }
            }
        }
        for (name, field) in object {
            let place = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => validate(document, property, field, &place)?,
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => {
                        return Err(format!("{place}: not a field of the schema"));
                    }
                    extra @ Value::Object(_) => validate(document, extra, field, &place)?,
                    // Fields the schema does not name are refused when it names any: an answer carries
                    // exactly its type's fields.
                    _ if properties.is_some() => {
                        return Err(format!("{place}: not a field of the schema"));
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            validate(document, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// `schema` with its `allOf` parts (references followed, nested `allOf` merged) folded into it: their
/// properties and required fields together, and the first type any of them gives.
fn merged_all_of(document: &Value, schema: &Value) -> Value {
    let mut merged = schema.clone();
    let parts = merged
        .as_object_mut()
        .and_then(|object| object.remove("allOf"))
        .unwrap_or_default();
    for part in parts.as_array().into_iter().flatten() {
        let part = match part["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches("#/components/schemas/");
                &document["components"]["schemas"][name]
            }
            None => part,
        };
        let part = if part["allOf"].is_array() {
            merged_all_of(document, part)
        } else {
            part.clone()
        };
        if let Some(properties) = part["properties"].as_object() {
            let into = merged["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let mut into = into;
            into.extend(properties.clone());
            merged["properties"] = Value::Object(into);
        }
        if let Some(required) = part["required"].as_array() {
            let mut into = merged["required"].as_array().cloned().unwrap_or_default();
            into.extend(required.iter().cloned());
            merged["required"] = Value::Array(into);
        }
        if merged["type"].is_null() && !part["type"].is_null() {
            merged["type"] = part["type"].clone();
        }
    }
    merged
}

/// The types a schema allows (`"type": "string"` or `"type": ["string", "null"]`), if it says.
fn types(schema: &Value) -> Option<Vec<&str>> {
    match &schema["type"] {
        Value::String(one) => Some(vec![one.as_str()]),
        Value::Array(many) => Some(many.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn is_type(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

#[test]
fn a_body_with_a_wrong_field_type_or_a_missing_field_does_not_match() {
    let document = document();
    let error = json!({ "$ref": "#/components/schemas/Error" });
    let fine = json!({ "error": "Not found.", "status": 404 });
    assert_eq!(validate(document, &error, &fine, "$"), Ok(()));
    let wrong_type = json!({ "error": "Not found.", "status": "404" });
    let mismatch = validate(document, &error, &wrong_type, "$").unwrap_err();
    assert!(mismatch.contains("$.status"), "{mismatch}");
    let missing = json!({ "status": 404 });
    assert!(validate(document, &error, &missing, "$").is_err());
    let unknown_field = json!({ "error": "Not found.", "status": 404, "stack": "at db.rs:12" });
    assert!(validate(document, &error, &unknown_field, "$").is_err());

    let subject = json!({ "$ref": "#/components/schemas/SubjectOutcome" });
    assert!(
        validate(
            document,
            &subject,
            &json!({ "subject": 4, "status": "open", "band": "high" }),
            "$"
        )
        .is_ok()
    );
    assert!(
        validate(
            document,
            &subject,
            &json!({ "subject": "4", "status": "open", "band": "high" }),
            "$"
        )
        .is_err()
    );
}

#[test]
#[should_panic(expected = "does not allow")]
fn an_answer_the_document_does_not_allow_fails_the_test() {
    check_answer(
        &Method::GET,
        "/api/queue?band=high",
        StatusCode::OK,
        r#"[{"subject": "not a number"}]"#,
    );
}

#[test]
fn every_time_in_the_document_is_a_date_time() {
    let schemas = document()["components"]["schemas"].as_object().unwrap();
    let mut times = 0;
    for (name, schema) in schemas {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (field, property) in properties {
            if field == "at" || field.ends_with("_at") {
                times += 1;
                assert_eq!(
                    property["format"], "date-time",
                    "{name}.{field} is a time: {property}"
                );
            }
        }
    }
    assert!(times >= 8, "the document's times were found ({times})");
    let time = json!({ "type": "string", "format": "date-time" });
    assert_eq!(
        validate(document(), &time, &json!("2026-12-04T05:00:00Z"), "$"),
        Ok(())
    );
    for wrong in [json!("2026-12-04T05:00:00+01:00"), json!("4 Dec 2026")] {
        assert!(validate(document(), &time, &wrong, "$").is_err(), "{wrong}");
    }
}
