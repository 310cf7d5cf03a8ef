//! A small reader for Java-style `.properties` files: `key=value` or
//! `key: value` lines, `#`/`!` comments, backslash line continuations.

/// Parses the text into (key, value) pairs in file order; errors carry the
/// 1-based line number.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim_start();
        let (start, mut logical) = match pending.take() {
            Some((start, acc)) => (start, acc + line),
            None => {
                if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                    continue;
                }
                (line_no, line.to_string())
            }
        };
        // An odd number of trailing backslashes continues the line.
        let trailing = logical.chars().rev().take_while(|c| *c == '\\').count();
        if trailing % 2 == 1 {
            logical.pop();
            pending = Some((start, logical));
            continue;
        }
        let sep = logical
            .find(['=', ':'])
            .ok_or((start, format!("expected key=value, got `{}`", logical.trim())))?;
        let key = logical[..sep].trim();
        let value = logical[sep + 1..].trim();
        if key.is_empty() {
            return Err((start, "empty key".into()));
        }
        out.push((key.to_string(), value.to_string()));
    }
    if let Some((start, _)) = pending {
        return Err((start, "line continuation at end of file".into()));
    }
    Ok(out)
}
