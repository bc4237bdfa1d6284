//! The partner CSV: one referral per row, read as a stream so that file size does not matter.

use crate::common::{self, Fail, PersonDraft};
use crate::{Item, MAX_TEXT_BYTES, Parsed, Rejection};
use csv::{ByteRecord, Reader, ReaderBuilder};
use severn_domain::report::{
    FileInfo, Format, HashType, IdentifierKind, IncidentType, PersonRole, ReferralSource, Report,
    SourceRef,
};
use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    SourceReference,
    Source,
    ReceivedAt,
    IncidentType,
    IncidentAt,
    Platform,
    FirstName,
    LastName,
    DateOfBirth,
    Emails,
    Phones,
    Service,
    UserIds,
    ScreenNames,
    Ips,
    DeviceIds,
    AccessToChildren,
    ConvictedSexOffender,
    ChildrenCount,
    FileHashes,
    Summary,
}

const COLUMNS: [(&str, Column); 21] = [
    ("source_reference", Column::SourceReference),
    ("source", Column::Source),
    ("received_at", Column::ReceivedAt),
    ("incident_type", Column::IncidentType),
    ("incident_at", Column::IncidentAt),
    ("platform", Column::Platform),
    ("suspect_first_name", Column::FirstName),
    ("suspect_last_name", Column::LastName),
    ("suspect_date_of_birth", Column::DateOfBirth),
    ("suspect_emails", Column::Emails),
    ("suspect_phones", Column::Phones),
    ("suspect_service", Column::Service),
    ("suspect_user_ids", Column::UserIds),
    ("suspect_screen_names", Column::ScreenNames),
    ("suspect_ips", Column::Ips),
    ("suspect_device_ids", Column::DeviceIds),
    ("access_to_children", Column::AccessToChildren),
    ("convicted_sex_offender", Column::ConvictedSexOffender),
    ("children_count", Column::ChildrenCount),
    ("file_hashes", Column::FileHashes),
    ("summary", Column::Summary),
];

const REQUIRED: [Column; 3] = [Column::SourceReference, Column::Source, Column::ReceivedAt];

fn column_name(column: Column) -> &'static str {
    COLUMNS
        .iter()
        .find(|(_, c)| *c == column)
        .map_or("", |(name, _)| name)
}

/// The rows of one partner CSV file, parsed one at a time.
pub(crate) struct CsvRows<R: Read> {
    path: String,
    reader: Reader<R>,
    columns: Vec<Column>,
    record: ByteRecord,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    /// Reads and checks the header; a bad header rejects the whole file.
    pub fn new(path: &str, input: R) -> Result<Self, Box<Rejection>> {
        let mut reader = ReaderBuilder::new().flexible(true).from_reader(input);
        let header_fail =
            |fail: Fail, content: &[u8]| Box::new(fail.into_rejection(path, content, None));
        let headers = reader
            .byte_headers()
            .map_err(|e| {
                header_fail(
                    Fail::new(format!("unreadable CSV header: {e}")).at("row 1"),
                    b"",
                )
            })?
            .clone();
        let header_bytes = row_bytes(&headers);
        let mut columns = Vec::with_capacity(headers.len());
        for raw in headers.iter() {
            let name = String::from_utf8_lossy(raw);
            let name = name.trim().trim_start_matches('\u{feff}');
            let Some((_, column)) = COLUMNS.iter().find(|(n, _)| *n == name) else {
                return Err(header_fail(
                    Fail::new(format!("unknown column {name:?}"))
                        .at(format!("row 1, column {name}"))
                        .field(name),
                    &header_bytes,
                ));
            };
            if columns.contains(column) {
                return Err(header_fail(
                    Fail::new(format!("column {name:?} appears twice"))
                        .at(format!("row 1, column {name}"))
                        .field(name),
                    &header_bytes,
                ));
            }
            columns.push(*column);
        }
        if let Some(missing) = REQUIRED.iter().find(|c| !columns.contains(c)) {
            let name = column_name(*missing);
            return Err(header_fail(
                Fail::new(format!("required column {name:?} is missing"))
                    .at("row 1")
                    .field(name),
                &header_bytes,
            ));
        }
        Ok(CsvRows {
            path: path.to_owned(),
            reader,
            columns,
            record: ByteRecord::new(),
            done: false,
        })
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if self.done {
                return None;
            }
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {}
                Err(e) => {
                    let row = e.position().map_or(0, |p| p.line());
                    // After an I/O error the reader cannot resynchronise; other errors are per row.
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        self.done = true;
                    }
                    let fail =
                        Fail::new(format!("unreadable CSV row: {e}")).at(format!("row {row}"));
                    return Some(Item::Rejected(fail.into_rejection(&self.path, b"", None)));
                }
            }
            // A trailing blank line is not a referral.
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            let row = self.record.position().map_or(0, |p| p.line());
            let content = row_bytes(&self.record);
            let item = match parse_row(&self.columns, &self.record, row, &content) {
                Ok(report) => Item::Parsed {
                    path: self.path.clone(),
                    parsed: Parsed::Report(Box::new(report)),
                },
                Err(fail) => Item::Rejected(fail.into_rejection(&self.path, &content, None)),
            };
            return Some(item);
        }
    }
}

/// The row written back as one CSV line: the stored content of a row, and what its hash is taken over.
fn row_bytes(record: &ByteRecord) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = writer.write_byte_record(record);
    writer.into_inner().unwrap_or_default()
}

struct Row<'r> {
    columns: &'r [Column],
    record: &'r ByteRecord,
    row: u64,
}

impl Row<'_> {
    fn fail(&self, column: Column, reason: impl Into<String>) -> Fail {
        let name = column_name(column);
        Fail::new(reason)
            .at(format!("row {}, column {name}", self.row))
            .field(name)
    }

    /// The trimmed value of `column`; `None` when the column is absent or blank.
    fn get(&self, column: Column) -> Result<Option<&str>, Fail> {
        let Some(index) = self.columns.iter().position(|c| *c == column) else {
            return Ok(None);
        };
        let raw = self.record.get(index).unwrap_or_default();
        if raw.len() > MAX_TEXT_BYTES {
            return Err(self.fail(column, "value longer than 1 MiB"));
        }
        let value = std::str::from_utf8(raw)
            .map_err(|_| self.fail(column, "value is not UTF-8"))?
            .trim();
        Ok((!value.is_empty()).then_some(value))
    }

    fn required(&self, column: Column) -> Result<&str, Fail> {
        self.get(column)?
            .ok_or_else(|| self.fail(column, "required value is empty"))
    }

    fn list(&self, column: Column) -> Result<impl Iterator<Item = &str>, Fail> {
        Ok(self
            .get(column)?
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|v| !v.is_empty()))
    }

    fn timestamp(&self, column: Column, raw: &str) -> Result<jiff::Timestamp, Fail> {
        common::parse_timestamp(raw)
            .ok_or_else(|| self.fail(column, format!("invalid RFC 3339 date and time {raw:?}")))
    }

    fn yes_no(&self, column: Column) -> Result<Option<bool>, Fail> {
        match self.get(column)? {
            None => Ok(None),
            Some(raw) => match raw.to_ascii_lowercase().as_str() {
                "yes" | "y" | "true" => Ok(Some(true)),
                "no" | "n" | "false" => Ok(Some(false)),
                _ => Err(self.fail(column, format!("expected yes, no or blank, got {raw:?}"))),
            },
        }
    }
}

fn parse_row(
    columns: &[Column],
    record: &ByteRecord,
    row: u64,
    content: &[u8],
) -> Result<Report, Fail> {
    let r = Row {
        columns,
        record,
        row,
    };
    if record.len() != columns.len() {
        return Err(Fail::new(format!(
            "row has {} fields, the header has {}",
            record.len(),
            columns.len()
        ))
        .at(format!("row {row}")));
    }
    let reference = r.required(Column::SourceReference)?;
    let source_raw = r.required(Column::Source)?;
    let source = ReferralSource::parse(source_raw)
        .ok_or_else(|| r.fail(Column::Source, format!("unknown source {source_raw:?}")))?;
    let received_at = r.timestamp(Column::ReceivedAt, r.required(Column::ReceivedAt)?)?;

    let mut report = Report {
        reported_at: Some(received_at),
        platform: r.get(Column::Platform)?.map(str::to_owned),
        ..Report::new(
            SourceRef::External(format!("{}/{reference}", source.as_str())),
            Format::PartnerCsv,
            source,
            common::sha256_hex(content),
        )
    };
    if let Some(raw) = r.get(Column::IncidentType)? {
        report.incident_type = Some(IncidentType::parse(raw).ok_or_else(|| {
            r.fail(
                Column::IncidentType,
                format!("unknown incident type {raw:?}"),
            )
        })?);
    }
    if let Some(raw) = r.get(Column::IncidentAt)? {
        report.incident_at = Some(r.timestamp(Column::IncidentAt, raw)?);
    }

    let mut draft = PersonDraft::new(PersonRole::Reported);
    let mut any = false;
    if let Some(v) = r.get(Column::FirstName)? {
        draft.person.first_name = Some(v.to_owned());
        any = true;
    }
    if let Some(v) = r.get(Column::LastName)? {
        draft.person.last_name = Some(v.to_owned());
        any = true;
    }
    if let Some(v) = r.get(Column::DateOfBirth)? {
        v.parse::<jiff::civil::Date>().map_err(|_| {
            r.fail(
                Column::DateOfBirth,
                format!("expected YYYY-MM-DD, got {v:?}"),
            )
        })?;
        draft.person.date_of_birth = Some(v.to_owned());
        any = true;
    }
    draft.service = r.get(Column::Service)?.map(str::to_owned);
    for (column, kind) in [
        (Column::Emails, IdentifierKind::Email),
        (Column::Phones, IdentifierKind::Phone),
        (Column::UserIds, IdentifierKind::EspUserId),
        (Column::ScreenNames, IdentifierKind::ScreenName),
        (Column::Ips, IdentifierKind::IpAddress),
    ] {
        for value in r.list(column)? {
            draft.add(kind, None, value);
            any = true;
        }
    }
    for value in r.list(Column::DeviceIds)? {
        let (id_type, id) = value.split_once(':').ok_or_else(|| {
            r.fail(
                Column::DeviceIds,
                format!("expected TYPE:VALUE, got {value:?}"),
            )
        })?;
        draft.add(IdentifierKind::DeviceId, Some(id_type.trim()), id);
        any = true;
    }
    draft.person.access_to_children = r.yes_no(Column::AccessToChildren)?;
    draft.person.convicted_sex_offender = r.yes_no(Column::ConvictedSexOffender)?;
    any |=
        draft.person.access_to_children.is_some() || draft.person.convicted_sex_offender.is_some();
    if any {
        report.people.push(draft.finish());
    }

    if let Some(raw) = r.get(Column::ChildrenCount)? {
        let count: u32 = raw.parse().map_err(|_| {
            r.fail(
                Column::ChildrenCount,
                format!("expected a whole number, got {raw:?}"),
            )
        })?;
        report
            .additional_info
            .push(format!("children_count: {count}"));
    }
    // Each listed hash is kept as a file of its own: the row does not say which hashes share a file.
    for value in r.list(Column::FileHashes)? {
        let (label, hex) = value.split_once(':').ok_or_else(|| {
            r.fail(
                Column::FileHashes,
                format!("expected TYPE:HEX, got {value:?}"),
            )
        })?;
        let label = label.trim().to_ascii_uppercase();
        let hash = common::file_hash(HashType::parse(&label), &label, hex)
            .map_err(|reason| r.fail(Column::FileHashes, reason))?;
        report.files.push(FileInfo {
            hashes: vec![hash],
            ..FileInfo::default()
        });
    }
    if let Some(summary) = r.get(Column::Summary)? {
        report.additional_info.push(summary.to_owned());
    }
    Ok(report)
}
