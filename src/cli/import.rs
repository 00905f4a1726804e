use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use driftwatch::config::SageMakerName;
use driftwatch::migrate::{Options, import};

pub fn import_command(
    from: &Path,
    output: &Path,
    shadow_endpoints: &[String],
    force: bool,
) -> anyhow::Result<ExitCode> {
    let mut opts = Options {
        shadow_endpoints: BTreeMap::new(),
    };
    for pair in shadow_endpoints {
        let Some((endpoint, shadow)) = pair.split_once('=') else {
            eprintln!("error: --shadow-endpoint {pair:?}: expected ENDPOINT=SHADOW");
            return Ok(ExitCode::from(2));
        };
        for (what, name) in [("ENDPOINT", endpoint), ("SHADOW", shadow)] {
            if let Err(e) = SageMakerName::parse(name) {
                eprintln!("error: --shadow-endpoint {pair:?}: {what} {e}");
                return Ok(ExitCode::from(2));
            }
        }
        if endpoint == shadow {
            eprintln!(
                "error: --shadow-endpoint {pair:?}: the shadow must not be the monitored endpoint (its capture would record the synthetic rows)"
            );
            return Ok(ExitCode::from(2));
        }
        opts.shadow_endpoints
            .insert(endpoint.to_string(), shadow.to_string());
    }
    if output.exists() && !force {
        eprintln!(
            "error: --output {}: exists; give --force to replace it",
            output.display()
        );
        return Ok(ExitCode::from(2));
    }
    let imported = match import(from, output, &opts) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    // Whole or not at all: a temporary file beside the target, renamed over it.
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("--output {}: cannot write beside it", output.display()))?;
    tmp.write_all(imported.yaml.as_bytes())
        .with_context(|| format!("--output {}", output.display()))?;
    tmp.persist(output)
        .with_context(|| format!("--output {}", output.display()))?;
    for e in &imported.entries {
        for u in &e.unmapped {
            eprintln!("not mapped: {}: {u}", e.name);
        }
    }
    for (name, why) in &imported.skipped {
        eprintln!("not imported: {name}: {why}");
    }
    for f in &imported.ignored {
        eprintln!("ignored: {}: not a describe answer this reads", f.display());
    }
    println!(
        "wrote {}: {} schedule{} imported, {} not imported",
        output.display(),
        imported.entries.len(),
        if imported.entries.len() == 1 { "" } else { "s" },
        imported.skipped.len()
    );
    Ok(ExitCode::SUCCESS)
}
