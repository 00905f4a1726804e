//! Gzip-compressed inputs: datasets written with SageMaker's `s3_compression_type: Gzip` and
//! capture or ground-truth objects stored as `*.jsonl.gz`. Recognised by their magic bytes,
//! whatever the name, so a compressed file is never parsed as text.

use std::io::Read;

/// The first two bytes of every gzip stream.
const MAGIC: [u8; 2] = [0x1f, 0x8b];

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// The bytes, decompressed when they are gzip (all members of a multi-member stream), at most
/// `limit` bytes once decompressed (a gzip bomb is refused, not inflated).
pub fn maybe_gunzip(bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>, String> {
    if !is_gzip(&bytes) {
        return Ok(bytes);
    }
    gunzip(&bytes, limit)
}

/// Gzip bytes decompressed (all members), at most `limit` bytes once decompressed.
pub fn gunzip(bytes: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit as usize));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a valid gzip stream: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "decompressed, it {}",
            crate::limits::too_large_for(out.len() as u64, limit)
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gunzips_only_gzip() {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"a,b\n1,2\n").unwrap();
        let gz = z.finish().unwrap();
        assert!(is_gzip(&gz));
        assert_eq!(maybe_gunzip(gz.clone(), 1 << 20).unwrap(), b"a,b\n1,2\n");
        assert_eq!(maybe_gunzip(b"plain".to_vec(), 1 << 20).unwrap(), b"plain");
        let mut bad = gz;
        bad.truncate(12);
        assert!(maybe_gunzip(bad, 1 << 20).unwrap_err().contains("gzip"));
    }
}
