//! CSV cells as the data-quality container's Spark reader splits them: every cell as text, an
//! empty unquoted cell missing, `"…"` quoting with `\"` or `""` for a quote inside. One rule
//! for datasets (`suggest-baseline`, `check-data`) and captured payloads, so the same rows give
//! the same profile whichever way they arrive (a leaf).

/// Splits one line into cells (`None`: empty and unquoted), borrowing them when the line
/// quotes nothing (most lines of most files).
pub fn split(line: &str) -> Result<Vec<Option<std::borrow::Cow<'_, str>>>, String> {
    split_map(line, |c| c)
}

/// Splits one line into cells as [`split`] does, each turned into a `T` by `f` as it is
/// split: a capture window's rows go straight into their final form.
pub fn split_map<'a, T>(
    line: &'a str,
    mut f: impl FnMut(Option<std::borrow::Cow<'a, str>>) -> T,
) -> Result<Vec<T>, String> {
    if !line.contains('"') {
        let mut row = Vec::with_capacity(line.bytes().filter(|&b| b == b',').count() + 1);
        row.extend(
            line.split(',')
                .map(|c| f((!c.is_empty()).then_some(std::borrow::Cow::Borrowed(c)))),
        );
        return Ok(row);
    }
    Ok(cells(line)?
        .into_iter()
        .map(|c| f(c.map(std::borrow::Cow::Owned)))
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
    fn lines_without_quotes_are_borrowed() {
        let row = split("a,,b").unwrap();
        assert!(matches!(row[0], Some(std::borrow::Cow::Borrowed("a"))));
        assert_eq!(row[1], None);
    }
}
