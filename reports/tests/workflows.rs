//! The GitHub workflows cannot run here: parse them with a YAML parser and check that they do
//! what the README's "Reports, compare and nightly CI" section says.
use serde_norway::Value;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn workflow(name: &str) -> Value {
    let path = format!(".github/workflows/{name}");
    serde_norway::from_str(&read(&path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The steps of the workflow's only job.
fn steps(workflow: &Value) -> Vec<Value> {
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    assert_eq!(jobs.len(), 1);
    let job = jobs.values().next().unwrap();
    assert!(job["runs-on"].is_string(), "runs-on");
    job["steps"].as_sequence().expect("steps").clone()
}

fn runs(steps: &[Value]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect()
}

fn uses<'a>(steps: &'a [Value], action: &str) -> Vec<&'a Value> {
    steps
        .iter()
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .collect()
}

/// The README section this test keeps the workflows in step with.
fn readme_section() -> String {
    let readme = read("README.md");
    let start = readme
        .find("## Reports, compare and nightly CI")
        .expect("README has the section");
    let rest = &readme[start + 3..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
}

#[test]
fn ci_checks_formatting_clippy_and_make_test_on_every_push() {
    let ci = workflow("ci.yml");
    let triggers = ci.get("on").expect("`on` parses as a key");
    assert!(triggers.get("push").is_some(), "runs on push");
    let runs = runs(&steps(&ci));
    for command in ["cargo fmt --all -- --check", "make lint", "make test"] {
        assert!(
            runs.iter().any(|r| r.trim() == command),
            "ci runs {command}"
        );
        assert!(readme_section().contains(command), "README names {command}");
    }
    let makefile = read("Makefile");
    let lint = &makefile[makefile.find("\nlint:").expect("make lint")..];
    assert!(
        lint.lines()
            .take(4)
            .any(|l| l.contains("clippy") && l.contains("-D warnings")),
        "make lint denies warnings"
    );
    assert!(read("README.md").contains("make test"));
}

#[test]
fn nightly_runs_the_preset_compares_with_last_night_and_publishes_the_report() {
    let nightly = workflow("nightly.yml");
    let cron = &nightly["on"]["schedule"][0]["cron"];
    assert!(
        cron.as_str().is_some_and(|c| c.split(' ').count() == 5),
        "{cron:?}"
    );
    let steps = steps(&nightly);
    let runs = runs(&steps).join("\n");
    let section = readme_section();
    let commands: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("./target/release/prefbench "))
        .collect();
    assert_eq!(commands.len(), 2, "README shows the run and compare lines");
    for command in commands {
        assert!(runs.contains(command), "nightly runs `{command}`");
    }
    assert!(runs.contains("--preset nightly"));

    let cache_dir = nightly["env"]["PREFBENCH_CACHE"].as_str().expect("env");
    assert!(section.contains("PREFBENCH_CACHE"));
    assert!(
        uses(&steps, "actions/cache@")
            .iter()
            .any(|s| s["with"]["path"].as_str() == Some(cache_dir)),
        "the dataset cache directory is cached"
    );

    // The baseline comes from the last successful night, through the runner's own `gh`.
    let download = runs
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("gh run "))
        .collect::<Vec<_>>()
        .join("\n");
    for part in [
        "--workflow nightly.yml --status success",
        "gh run download",
        "--name nightly-results",
    ] {
        assert!(download.contains(part), "the download step has `{part}`");
    }
    let uploads = uses(&steps, "actions/upload-artifact@");
    let names: Vec<&str> = uploads
        .iter()
        .filter_map(|s| s["with"]["name"].as_str())
        .collect();
    assert_eq!(names, ["nightly-results", "nightly-report"]);
    assert_eq!(
        names[0], "nightly-results",
        "tonight's upload is tomorrow's baseline"
    );
    for name in names {
        assert!(section.contains(name), "README names the {name} artifact");
    }
    // The baseline is only replaced when nothing regressed; the report is always published.
    assert!(uploads[0].get("if").is_none());
    assert_eq!(uploads[1]["if"].as_str(), Some("always()"));
}
