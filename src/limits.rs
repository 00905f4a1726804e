//! The limits driftwatch puts on any single input, so that one hostile or mistaken file (a
//! 200 MiB line, a symlink to `/dev/zero`, a FIFO, a gzip bomb) costs a clear error instead
//! of gigabytes of memory or a read that never ends. Limits on time ranges live with the
//! schedule math (`schedule::MAX_FIRE_TIMES`, `schedule::window::MAX_OFFSET_DAYS`, the
//! daemon's `MAX_LOOKBACK`).

use std::io::ErrorKind;
use std::path::Path;

/// The largest object read whole (after decompression too): larger capture, ground-truth or
/// dataset objects are refused with their size instead of exhausting memory. SageMaker's
/// capture objects are far smaller (rotated every few minutes).
pub const MAX_OBJECT_BYTES: u64 = 1 << 30;

/// The largest capture or ground-truth object read (after decompression): SageMaker rotates
/// capture files every few minutes, so real ones are megabytes; a window's memory is its
/// records', and one object must not hold more than a fraction of a machine.
pub const MAX_CAPTURE_OBJECT_BYTES: u64 = 256 << 20;

/// The longest JSON Lines line read: SageMaker real-time payloads are at most 6 MB, and a
/// capture line holds the request and the response, either of which may be base64 (4/3
/// larger): 16 MB at most. Decoding a line costs up to ~50 times its length when it packs
/// hundreds of thousands of short CSV records (measured: 2.9 GB for 64 MiB, 1.0 GB for
/// 19.7 MiB), so 16 MiB keeps the worst single line under 1 GB.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The most columns a dataset (or a config's `headers`) may have. Every column costs polars
/// and the reader fixed state whatever its length (a 17.9 MB CSV of 1,000,000 columns peaked
/// at 1.97 GB, 110 times its size), and no Clarify analysis is meaningful over more features
/// than this: Kernel SHAP's coalitions, FT's neighbours and a report's tables all grow with
/// them.
pub const MAX_COLUMNS: usize = 10_000;

/// The largest schedules file or analysis config: real ones are kilobytes; a YAML parser
/// given hundreds of megabytes spends its memory before it can say what is wrong.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Why an object over [`MAX_OBJECT_BYTES`] is refused.
pub fn too_large(size: u64) -> String {
    format!(
        "{} for one object read whole; split it",
        too_large_for(size, MAX_OBJECT_BYTES)
    )
}

pub fn too_large_for(size: u64, limit: u64) -> String {
    format!(
        "is {}, more than the {} limit",
        human_bytes(size),
        human_bytes(limit)
    )
}

/// `512 B`, `3.2 KiB`, `64 MiB`: sizes in messages.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Reads a regular file of at most `limit` bytes. A FIFO, a device (a symlink to
/// `/dev/zero`), a socket or a directory is refused before it is opened: reading one blocks
/// or never ends, and a blocking read cannot be cancelled by `max_runtime` or SIGTERM.
pub fn read_regular(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let (file, len) = open_regular(path, limit)?;
    read_open(file, len, limit)
}

/// Reads an opened file of `len` bytes, refusing it if it grew past `limit` meanwhile.
fn read_open(file: std::fs::File, len: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            too_large_for(out.len() as u64, limit),
        ));
    }
    Ok(out)
}

/// A file's bytes, mapped into memory or read.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m,
            Self::Read(v) => v,
        }
    }
}

/// Files from this size on are mapped rather than read.
const MAP_FROM: u64 = 1 << 20;

/// [`read_regular`] for a large dataset read whole by one process: the file is mapped
/// instead of copied. Copying 100 MB into fresh memory costs more than parsing it, because
/// the kernel zeroes every page first; a mapping shares the page cache instead.
///
/// A mapped file that another process truncates while it is read ends this process with
/// SIGBUS. `analyze` takes that risk for datasets, as polars does for every CSV it reads by
/// path: a dataset is an input its owner does not rewrite during the analysis.
pub fn map_regular(path: &Path, limit: u64) -> std::io::Result<FileBytes> {
    let (file, len) = open_regular(path, limit)?;
    if len < MAP_FROM {
        return read_open(file, len, limit).map(FileBytes::Read);
    }
    // SAFETY: read-only and private; see above for a file truncated meanwhile.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    if map.len() as u64 > limit {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            too_large_for(map.len() as u64, limit),
        ));
    }
    Ok(FileBytes::Mapped(map))
}

/// Opens a regular file of at most `limit` bytes (see [`read_regular`]), and its length.
pub fn open_regular(path: &Path, limit: u64) -> std::io::Result<(std::fs::File, u64)> {
    let kind = |meta: &std::fs::Metadata| {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_file() {
            None
        } else if t.is_dir() {
            Some("a directory")
        } else if t.is_fifo() {
            Some("a FIFO (named pipe)")
        } else if t.is_char_device() || t.is_block_device() {
            Some("a device")
        } else if t.is_socket() {
            Some("a socket")
        } else {
            Some("not a regular file")
        }
    };
    let refuse = |what: &str| {
        std::io::Error::new(
            ErrorKind::InvalidInput,
            format!("is {what}, not a regular file"),
        )
    };
    if let Some(what) = kind(&std::fs::metadata(path)?) {
        return Err(refuse(what));
    }
    let file = std::fs::File::open(path)?;
    // Checked again on the open file, in case the path was swapped after the first check.
    let meta = file.metadata()?;
    if let Some(what) = kind(&meta) {
        return Err(refuse(what));
    }
    if meta.len() > limit {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            too_large_for(meta.len(), limit),
        ));
    }
    Ok((file, meta.len()))
}

/// `bytes` as UTF-8 text, or why not, with the line and column of the first bad byte. UTF-16
/// (what some Windows editors save) is named as such rather than parsed as garbage.
pub fn utf8(bytes: &[u8]) -> Result<&str, String> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(
            "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8".into(),
        );
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let ok = &bytes[..e.valid_up_to()];
        let line = ok.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = ok.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&ok[line_start..]).chars().count() + 1;
        format!(
            "is not UTF-8 text: invalid byte 0x{:02x} at line {line}, column {column}",
            bytes[e.valid_up_to()]
        )
    })
}

/// A configuration document's text: at most [`MAX_CONFIG_BYTES`], UTF-8 (a leading UTF-8
/// byte-order mark is dropped).
pub fn config_text(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!(
            "{} for a configuration file",
            too_large_for(bytes.len() as u64, MAX_CONFIG_BYTES)
        ));
    }
    let text = utf8(&bytes)?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string())
}

/// A local configuration file's text ([`read_regular`] within [`MAX_CONFIG_BYTES`], then
/// [`config_text`]); the error says why, the caller says which file.
pub fn read_config(path: &Path) -> Result<String, String> {
    let bytes = read_regular(path, MAX_CONFIG_BYTES).map_err(|e| match e.kind() {
        ErrorKind::NotFound => "no such file".to_string(),
        _ => e.to_string(),
    })?;
    config_text(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_regular_file_or_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular(Path::new("/dev/zero"), 10).unwrap_err();
        assert_eq!(err.to_string(), "is a device, not a regular file");
        let err = read_regular(dir.path(), 10).unwrap_err();
        assert_eq!(err.to_string(), "is a directory, not a regular file");
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let err = read_regular(&fifo, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "is a FIFO (named pipe), not a regular file"
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        let err = read_regular(&big, 1024).unwrap_err();
        assert_eq!(err.to_string(), "is 2 KiB, more than the 1 KiB limit");
        assert_eq!(read_regular(&big, 4096).unwrap().len(), 2048);
    }

    #[test]
    fn text_problems_name_the_line_and_column() {
        assert_eq!(
            utf8(b"a: 1\nb: caf\xe9\n").unwrap_err(),
            "is not UTF-8 text: invalid byte 0xe9 at line 2, column 7"
        );
        assert!(utf8(b"\xff\xfea\x00").unwrap_err().contains("UTF-16"));
        assert_eq!(config_text(b"\xef\xbb\xbfa: 1".to_vec()).unwrap(), "a: 1");
        let big = vec![b' '; (MAX_CONFIG_BYTES + 1) as usize];
        assert_eq!(
            config_text(big).unwrap_err(),
            "is 4.0 MiB, more than the 4 MiB limit for a configuration file"
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(64 << 20), "64 MiB");
        assert_eq!(human_bytes(1 << 30), "1 GiB");
    }
}
