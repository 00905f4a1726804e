//! A CSV dataset into a [`Profile`], read as the container's Spark reader reads it for
//! profiling: every cell as text, an empty unquoted cell missing, `"…"` quoting with `\"` or
//! `""` for a quote inside, names from the header line or Spark's `_c0`, `_c1`, … without one.
//!
//! Where Spark would quietly fill a short row with nulls or drop a long row's extra cells,
//! this reader stops with the line: a ragged file is a broken baseline, not a profile.

use super::error::DataQualityError;
use super::profile::Profile;

/// Splits one line into cells (`None`: empty and unquoted), borrowing them when the line
/// quotes nothing (most lines of most files).
fn split(line: &str) -> Result<Vec<Option<std::borrow::Cow<'_, str>>>, String> {
    if !line.contains('"') {
        return Ok(line
            .split(',')
            .map(|c| (!c.is_empty()).then_some(std::borrow::Cow::Borrowed(c)))
            .collect());
    }
    Ok(cells(line)?
        .into_iter()
        .map(|c| c.map(std::borrow::Cow::Owned))
        .collect())
}

/// Splits one line with quotes into cells (`None`: empty and unquoted). `Err` names what is
/// wrong.
fn cells(line: &str) -> Result<Vec<Option<String>>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        // One cell.
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut cell = String::new();
            loop {
                match chars.next() {
                    None => return Err("a quoted cell is not closed".into()),
                    Some('\\') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    Some('"') => break,
                    Some(c) => cell.push(c),
                }
            }
            out.push(Some(cell));
            match chars.next() {
                None => return Ok(out),
                Some(',') => continue,
                Some(c) => return Err(format!("{c:?} follows a closing quote")),
            }
        }
        let mut cell = String::new();
        loop {
            match chars.next() {
                None => {
                    out.push((!cell.is_empty()).then_some(cell));
                    return Ok(out);
                }
                Some(',') => break,
                Some(c) => cell.push(c),
            }
        }
        out.push((!cell.is_empty()).then_some(cell));
    }
}

/// Profiles `bytes` (a whole CSV file named `source` in messages).
pub fn profile_csv(bytes: &[u8], header: bool, source: &str) -> Result<Profile, DataQualityError> {
    let mut profile: Option<Profile> = None;
    let mut width = 0;
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        let line = std::str::from_utf8(raw).map_err(|e| DataQualityError::Input {
            at: format!("{source}:{line_no}"),
            reason: format!("is not UTF-8 (byte {} of the line)", e.valid_up_to() + 1),
        })?;
        let row = split(line).map_err(|reason| DataQualityError::Input {
            at: format!("{source}:{line_no}"),
            reason,
        })?;
        let Some(p) = &mut profile else {
            width = row.len();
            let names = if header {
                let names: Vec<String> = row
                    .into_iter()
                    .enumerate()
                    .map(|(j, n)| n.map_or_else(|| format!("_c{j}"), |n| n.into_owned()))
                    .collect();
                profile = Some(Profile::new(names));
                continue;
            } else {
                (0..width).map(|j| format!("_c{j}")).collect()
            };
            let mut p = Profile::new(names);
            p.add_row(row.iter().map(Option::as_deref));
            profile = Some(p);
            continue;
        };
        if row.len() != width {
            return Err(DataQualityError::Input {
                at: format!("{source}:{line_no}"),
                reason: format!(
                    "has {} cells, the {} has {width}",
                    row.len(),
                    if header { "header" } else { "first line" }
                ),
            });
        }
        p.add_row(row.iter().map(Option::as_deref));
    }
    profile.ok_or_else(|| DataQualityError::Input {
        at: source.to_string(),
        reason: "holds no line".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_sparks_quoting() {
        assert_eq!(
            cells(r#"1,,"a,b","say \"hi\"","x""y","""#).unwrap(),
            vec![
                Some("1".into()),
                None,
                Some("a,b".into()),
                Some("say \"hi\"".into()),
                Some("x\"y".into()),
                Some(String::new())
            ]
        );
        assert_eq!(cells("a,").unwrap(), vec![Some("a".into()), None]);
        assert!(cells(r#""open"#).is_err());
        assert!(cells(r#""a"b"#).is_err());
    }

    #[test]
    fn bad_files_name_the_line() {
        let e = profile_csv(b"1,2\n3\n", false, "d.csv").unwrap_err();
        assert_eq!(e.to_string(), "d.csv:2: has 1 cells, the first line has 2");
        let e = profile_csv(b"a,b\n1,\xff\n", true, "d.csv").unwrap_err();
        assert_eq!(e.to_string(), "d.csv:2: is not UTF-8 (byte 3 of the line)");
        let e = profile_csv(b"\n\n", true, "d.csv").unwrap_err();
        assert_eq!(e.to_string(), "d.csv: holds no line");
    }

    #[test]
    fn names_come_from_the_header_or_are_sparks() {
        let p = profile_csv(b"x,y\n1,2\n", true, "d").unwrap();
        assert_eq!(p.names, ["x", "y"]);
        assert_eq!(p.rows, 1);
        let p = profile_csv(b"1,2\r\n3,4\r\n", false, "d").unwrap();
        assert_eq!(p.names, ["_c0", "_c1"]);
        assert_eq!(p.rows, 2);
    }
}
