use super::checks::{check_name, distinct};
use super::*;
use prefbench_vocabulary::{Ensemble, MAX_K};

const BASE: &str = "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nk: [1]\nseeds: [0]\n";

fn parse(text: &str, origin: &str) -> Result<ExperimentConfig> {
    Source::new(text, origin).parse()
}

fn error(text: &str) -> String {
    format!("{:#}", parse(text, "t.yaml").unwrap_err())
}

#[test]
fn every_preset_parses_and_validates() {
    for name in preset_names() {
        let c = ExperimentConfig::preset(name).unwrap();
        assert_eq!(c.name, name);
    }
}

/// A shipped tuned protocol (`tuned-X`, issue 31) holds what its published tuning (`tune-X`,
/// `published/tuning/tune-X/tuned.yaml`) chose for each of its methods, and every setting but
/// the matrix's axes is the tuning's: a setting pasted from another tuning, or edited after it,
/// fails here.
#[test]
fn tuned_presets_hold_what_their_published_tuning_chose() {
    #[derive(Deserialize)]
    struct Chosen {
        method_settings: BTreeMap<Method, MethodSetting>,
    }
    let tuned: Vec<&str> = preset_names()
        .into_iter()
        .filter(|n| n.starts_with("tuned-"))
        .collect();
    assert!(!tuned.is_empty(), "no tuned-* preset");
    for name in tuned {
        let config = ExperimentConfig::preset(name).unwrap();
        let tuning = name.replacen("tuned-", "tune-", 1);
        let grid = ExperimentConfig::preset(&tuning).unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../published/tuning")
            .join(&tuning)
            .join("tuned.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (scripts/publish.sh writes it)", path.display()));
        let chosen: Chosen = serde_norway::from_str(&text).unwrap();
        for (method, setting) in &config.method_settings {
            assert_eq!(
                chosen.method_settings.get(method),
                Some(setting),
                "{name}: {method}'s setting is not what {} chose",
                path.display()
            );
        }
        assert_eq!(
            (&config.datasets, &config.k, &config.method_k),
            (&grid.datasets, &grid.k, &grid.method_k),
            "{name}"
        );
        assert_eq!(
            (&config.model, &config.sft, &config.po, &config.objective),
            (&grid.model, &grid.sft, &grid.po, &grid.objective),
            "{name}"
        );
        assert!(
            config.seeds.iter().all(|s| !grid.seeds.contains(s)),
            "{name}: evaluation seeds must be disjoint from the tuning seeds"
        );
    }
}

#[test]
fn unknown_preset_lists_the_presets() {
    let err = ExperimentConfig::preset("nope").unwrap_err().to_string();
    assert!(err.contains("`nope`") && err.contains("demo"), "{err}");
}

#[test]
fn unknown_fields_name_the_field_and_line() {
    let err = error(&format!("{BASE}sft:\n  epoch: 3\n"));
    assert!(err.contains("epoch") && err.contains("line 7"), "{err}");
}

#[test]
fn bad_values_name_the_field_and_line() {
    let cases = [
        (
            "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nseeds: [0]\nk: [20]\n",
            "k",
            5,
        ),
        (
            "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nseeds: [0]\nk: []\n",
            "k",
            5,
        ),
        (
            "name: x\ndatasets: [synthetic]\nmethods: []\nk: [1]\nseeds: [0]\n",
            "methods",
            3,
        ),
        (
            "name: x\ndatasets: [movielens]\nmethods: [dmpo]\nk: [1]\nseeds: [0]\n",
            "datasets",
            2,
        ),
        (
            "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nk: one\nseeds: [0]\n",
            "k",
            4,
        ),
        (&format!("{BASE}objective:\n  beta: -1\n"), "objective", 6),
        (&format!("{BASE}item_text: [none, bert]\n"), "item_text", 6),
        (&format!("{BASE}item_text: []\n"), "item_text", 6),
        (
            "name: x\ndatasets: [synthetic]\nmethods: [dpo]\nk: [3]\nseeds: [0]\n",
            "methods",
            3,
        ),
    ];
    for (text, field, line) in cases {
        let err = error(text);
        assert!(
            err.contains(field) && err.contains(&format!("line {line}")),
            "{field} line {line}: {err}"
        );
    }
}

/// Validity is the file's alone: threads a 64-core node asks for parse on any machine (the
/// run planner, `commands::run`, refuses more than its cores).
#[test]
fn a_config_is_valid_on_any_machine() {
    for n in [0, 1, 64, 100_000] {
        let config = parse(&format!("{BASE}threads: {n}\n"), "t").unwrap();
        assert_eq!(config.threads, n);
    }
}

/// Lines come from the parser's positions of the keys: a key's name in a comment, in a value
/// or in another section is not the key, and quoting, flow style, continuation lines and
/// anchors do not move the key.
#[test]
fn error_lines_are_where_the_parser_read_the_key() {
    let rows: Vec<(String, &str, usize)> = vec![
        (
            format!("{BASE}# po:\n#   lr: -1\nsft: {{lr: 0.1}}\npo:\n  # lr: 1\n  lr: -1\n"),
            "po.lr",
            11,
        ),
        (format!("{BASE}\"po\":\n  'lr': -1\n"), "po.lr", 7),
        (
            format!("{BASE}po: {{epochs: 2,\n\n   lr: -1}}\n"),
            "po.lr",
            8,
        ),
        (format!("{BASE}po: &p\n  lr: -1\n"), "po.lr", 7),
        (format!("{BASE}model:\n  width: 63\n"), "model.heads", 6),
        (
            "name: x\ndatasets: [synthetic]\nmethods:\n  - dpo\nk:\n  - 3\nseeds: [0]\n".into(),
            "methods",
            3,
        ),
        (
            "seeds: [0]\nk: [1]\nmethods: [dmpo]\ndatasets: [synthetic]\nname: a/b\n".into(),
            "name",
            5,
        ),
    ];
    for (text, field, line) in rows {
        let err = error(&text);
        assert!(
            err.contains(&format!("`{field}`")) && err.ends_with(&format!("(line {line})")),
            "{field} line {line}: {err}\n{text}"
        );
    }
    assert_eq!(lines::line_of(BASE, &["po", "lr"]), None, "not written");
    assert_eq!(
        lines::line_of("# a: 1\nb: {a: 2}\n", &["a"]),
        None,
        "not a top-level key"
    );
    assert_eq!(lines::line_of("# a: 1\nb: {a: 2}\n", &["b", "a"]), Some(2));
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.yaml");
    std::fs::write(&path, format!("\u{feff}{BASE}")).unwrap();
    let config = ExperimentConfig::from_file(&path).unwrap();
    assert_eq!(config, parse(BASE, "t").unwrap());
}

#[test]
fn dpo_runs_only_at_one_negative() {
    assert!(ExperimentConfig::runs_at("dpo".parse().unwrap(), 1));
    assert!(!ExperimentConfig::runs_at("dpo".parse().unwrap(), 3));
    assert!(ExperimentConfig::runs_at("dmpo".parse().unwrap(), 19));
}

#[test]
fn the_item_text_axis_overrides_the_model() {
    let plain = parse(BASE, "t.yaml").unwrap();
    assert_eq!(plain.models(), vec![plain.model.clone()]);
    let axis = format!("{BASE}model: {{item_text: minilm}}\nitem_text: [none, minilm]\n");
    let texts: Vec<ItemText> = parse(&axis, "t.yaml")
        .unwrap()
        .models()
        .iter()
        .map(|m| m.item_text)
        .collect();
    assert_eq!(texts, [ItemText::None, ItemText::Minilm]);
}

/// One row per bad value: (text after [`BASE`], field, line of that field).
#[test]
fn values_outside_their_domain_name_the_field_the_line_and_the_domain() {
    let sft = |v: &str| format!("sft:\n  epochs: 2\n  {v}\n");
    let po = |v: &str| format!("po:\n  epochs: 2\n  {v}\n");
    let model = |v: &str| format!("model:\n  width: 64\n  {v}\n");
    let rows: Vec<(String, &str, usize, &str)> = vec![
        (sft("lr: -1"), "sft.lr", 8, "finite and > 0"),
        (sft("lr: 0"), "sft.lr", 8, "finite and > 0"),
        (sft("lr: .nan"), "sft.lr", 8, "finite and > 0"),
        (sft("lr: .inf"), "sft.lr", 8, "finite and > 0"),
        (sft("weight_decay: -0.1"), "sft.weight_decay", 8, ">= 0"),
        (sft("weight_decay: .nan"), "sft.weight_decay", 8, ">= 0"),
        (sft("weight_decay: -.inf"), "sft.weight_decay", 8, ">= 0"),
        ("sft:\n  epochs: 0\n".into(), "sft.epochs", 7, "1..=1000"),
        ("sft:\n  epochs: 5000\n".into(), "sft.epochs", 7, "1..=1000"),
        (sft("batch_size: 0"), "sft.batch_size", 8, ">= 1"),
        (po("lr: -0.001"), "po.lr", 8, "finite and > 0"),
        (po("lr: .nan"), "po.lr", 8, "finite and > 0"),
        (po("lr: .inf"), "po.lr", 8, "finite and > 0"),
        (po("weight_decay: -1"), "po.weight_decay", 8, ">= 0"),
        (po("weight_decay: .inf"), "po.weight_decay", 8, ">= 0"),
        ("po:\n  epochs: 0\n".into(), "po.epochs", 7, "1..=1000"),
        (po("batch_size: 0"), "po.batch_size", 8, ">= 1"),
        (po("warmup_share: 1"), "po.warmup_share", 8, "[0, 1)"),
        (po("warmup_share: -0.1"), "po.warmup_share", 8, "[0, 1)"),
        (po("warmup_share: .nan"), "po.warmup_share", 8, "[0, 1)"),
        (
            po("grad_clip: -0.3"),
            "po.grad_clip",
            8,
            "0 turns clipping off",
        ),
        (po("grad_clip: .inf"), "po.grad_clip", 8, ">= 0"),
        (po("grad_clip: .nan"), "po.grad_clip", 8, ">= 0"),
        (po("dropout: 1"), "po.dropout", 8, "[0, 1)"),
        (po("dropout: -0.2"), "po.dropout", 8, "[0, 1)"),
        (po("logged_steps: 0"), "po.logged_steps", 8, ">= 1"),
        (model("dropout: 1.0"), "model.dropout", 8, "[0, 1)"),
        (model("dropout: -0.5"), "model.dropout", 8, "[0, 1)"),
        (model("dropout: .nan"), "model.dropout", 8, "[0, 1)"),
        ("model:\n  width: 0\n".into(), "model.width", 7, "1..=4096"),
        (
            "model:\n  width: 100000\n".into(),
            "model.width",
            7,
            "1..=4096",
        ),
        (model("heads: 0"), "model.heads", 8, ">= 1"),
        (model("heads: 3"), "model.heads", 8, "divide"),
        (model("blocks: 0"), "model.blocks", 8, "1..=64"),
        // Flow style: the key is on the field's own line, or on a continuation line.
        ("po: {epochs: 2, lr: -1}\n".into(), "po.lr", 6, "> 0"),
        ("po: {epochs: 2,\n  lr: -1}\n".into(), "po.lr", 7, "> 0"),
        (
            "model: {width: 64, heads: 5}\n".into(),
            "model.heads",
            6,
            "divide",
        ),
        // A GRU ignores heads, but an architecture axis may make it a transformer.
        (
            "model: {architecture: gru, width: 64, heads: 7}\n".into(),
            "model.heads",
            6,
            "divide",
        ),
    ];
    for (extra, field, line, domain) in rows {
        let err = error(&format!("{BASE}{extra}"));
        assert!(
            err.contains(&format!("`{field}`"))
                && err.contains(&format!("line {line}"))
                && err.contains(domain),
            "{field} line {line} ({domain}): {err}"
        );
    }
}

#[test]
fn po_ensemble_is_auto_off_or_a_count_and_nothing_else() {
    let parse = |v: &str| parse(&format!("{BASE}po:\n  epochs: 2\n  ensemble: {v}\n"), "t");
    assert_eq!(parse("auto").unwrap().po.ensemble, Ensemble::Auto);
    assert_eq!(parse("off").unwrap().po.ensemble, Ensemble::Off);
    assert_eq!(parse("49").unwrap().po.ensemble, Ensemble::Members(49));
    let preset = ExperimentConfig::preset("paper").unwrap();
    assert_eq!(preset.po.ensemble, Ensemble::Auto, "the default");
    for bad in ["0", "fast", "-1", "2.5", "[2]"] {
        let err = format!("{:#}", parse(bad).unwrap_err());
        assert!(
            err.contains("po.ensemble")
                && err.contains("line 8")
                && err.contains("`auto`, `off` or the most runs a stack holds"),
            "{bad}: {err}"
        );
    }
}

/// One row per repeated axis value or bad name: (whole config, field, line).
#[test]
fn repeated_axis_values_and_escaping_names_are_refused() {
    let with = |from: &str, to: &str| BASE.replace(from, to);
    let rows: Vec<(String, &str, usize, &str)> = vec![
        (
            with("seeds: [0]", "seeds: [0, 1, 0]"),
            "seeds",
            5,
            "0 is listed twice",
        ),
        (with("k: [1]", "k: [1, 3, 1]"), "k", 4, "1 is listed twice"),
        (
            with("methods: [dmpo]", "methods: [dmpo, dynamicpo-dmpo, dmpo]"),
            "methods",
            3,
            "dmpo is listed twice",
        ),
        (
            with("datasets: [synthetic]", "datasets: [synthetic, synthetic]"),
            "datasets",
            2,
            "listed twice",
        ),
        (
            format!("{BASE}item_text: [none, minilm, none]\n"),
            "item_text",
            6,
            "none is listed twice",
        ),
        (
            format!("{BASE}architecture: [gru, transformer, gru]\n"),
            "architecture",
            6,
            "gru is listed twice",
        ),
        (with("name: x", "name: ''"), "name", 1, "is empty"),
        (with("name: x", "name: a/b"), "name", 1, "path separator"),
        (with("name: x", "name: 'a\\b'"), "name", 1, "path separator"),
        (with("name: x", "name: /tmp/x"), "name", 1, "path separator"),
        (with("name: x", "name: .."), "name", 1, "`..`"),
        (with("name: x", "name: x..y"), "name", 1, "`..`"),
        (with("name: x", "name: ."), "name", 1, "is `.`"),
        (
            with("name: x", "name: \"a\\tb\""),
            "name",
            1,
            "control character",
        ),
        (
            with("name: x", &format!("name: {}", "n".repeat(256))),
            "name",
            1,
            "longer than 255 bytes",
        ),
    ];
    for (text, field, line, domain) in rows {
        let err = error(&text);
        assert!(
            err.contains(&format!("`{field}`"))
                && err.contains(&format!("line {line}"))
                && err.contains(domain),
            "{field} line {line} ({domain}): {err}\n{text}"
        );
    }
}

#[test]
fn boundary_values_inside_the_domains_are_accepted() {
    let text = format!(
        "{BASE}sft: {{epochs: 1, batch_size: 1, lr: 1e-9, weight_decay: 0}}\n\
         po: {{epochs: 1000, batch_size: 1, lr: 5, warmup_share: 0, grad_clip: 0, \
         weight_decay: 0, dropout: 0, logged_steps: 1}}\n\
         model: {{width: 1, heads: 1, blocks: 1, dropout: 0.999}}\n"
    );
    let c = parse(&text, "t.yaml").unwrap();
    assert_eq!((c.po.grad_clip, c.model.width), (0.0, 1));
    assert!(SftConfig::default().validate().is_ok());
    assert!(PoConfig::default().validate().is_ok());
    assert!(PolicyConfig::default().validate().is_ok());
    for name in [
        "demo",
        "paper-2026",
        "a.b",
        "ünïcode name",
        &"n".repeat(255),
    ] {
        assert!(check_name(name).is_ok(), "{name}");
    }
}

#[test]
fn configs_built_in_code_are_checked_by_the_same_rules() {
    let mut c = ExperimentConfig::preset("demo").unwrap();
    c.po.lr = f64::NAN;
    let err = format!("{:#}", c.clone().revalidated("sweep").unwrap_err());
    assert!(err.contains("`po.lr`") && err.contains("line "), "{err}");
    c.po.lr = 1e-4;
    c.seeds = vec![3, 3];
    let err = format!("{:#}", c.clone().revalidated("sweep").unwrap_err());
    assert!(
        err.contains("`seeds`") && err.contains("listed twice"),
        "{err}"
    );
    c.seeds = vec![3];
    c.name = "../elsewhere".into();
    let err = format!("{:#}", c.clone().revalidated("sweep").unwrap_err());
    assert!(err.contains("`name`") && err.contains("line 1"), "{err}");
    c.name = "demo".into();
    c.model.heads = 0;
    let err = format!("{:#}", c.revalidated("sweep").unwrap_err());
    assert!(err.contains("`model.heads`"), "{err}");
}

#[test]
fn round_trips_through_yaml() {
    for name in preset_names() {
        let c = ExperimentConfig::preset(name).unwrap();
        let again = parse(&c.to_yaml().unwrap(), "resolved").unwrap();
        assert_eq!(c, again);
    }
}

/// Parsing never panics: on arbitrary text, on token soup that reaches the checks, and on
/// the demo preset with fields replaced by arbitrary values (NaN, infinities, huge and
/// negative numbers, wrong types). Whatever it accepts satisfies every check and resolves
/// to YAML that parses back to the same config (what a `--jobs` child reads).
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_norway::{Mapping, Number, Value};

    const TOKENS: &[&str] = &[
        "name",
        "datasets",
        "methods",
        "k",
        "seeds",
        "synthetic",
        "model",
        "item_text",
        "architecture",
        "sft",
        "po",
        "objective",
        "device",
        "threads",
        "epochs",
        "lr",
        "batch_size",
        "width",
        "heads",
        "blocks",
        "dropout",
        "warmup_share",
        "grad_clip",
        "weight_decay",
        "logged_steps",
        "patience",
        "schedule",
        "beta",
        "items",
        ":",
        ": ",
        " ",
        "\n",
        "\n  ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "- ",
        "0",
        "1",
        "3",
        "-1",
        "1e400",
        "0.5",
        ".nan",
        ".inf",
        "-.inf",
        "&a ",
        "*a",
        "<<: ",
        "!!str ",
        "!!float ",
        "'",
        "\"",
        "#",
        "|",
        ">",
        "---",
        "...",
        "~",
        "null",
        "true",
        "synthetic",
        "dmpo",
        "dpo",
        "dynamicpo-dmpo",
        "gru",
        "minilm",
        "none",
        "cpu",
        "cosine",
        "..",
        "/",
        "\\",
        "\t",
    ];

    fn soup() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.concat())
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|x| Value::Number(Number::from(x))),
            any::<i64>().prop_map(|x| Value::Number(Number::from(x))),
            (0u64..40).prop_map(|x| Value::Number(Number::from(x))),
            prop::sample::select(TOKENS).prop_map(|t| Value::String(t.to_string())),
            "[a-z0-9./ -]{0,8}".prop_map(Value::String),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
                prop::collection::vec((prop::sample::select(TOKENS), inner), 0..4).prop_map(
                    |pairs| {
                        let mut m = Mapping::new();
                        for (k, v) in pairs {
                            m.insert(Value::String(k.to_string()), v);
                        }
                        Value::Mapping(m)
                    }
                ),
            ]
        })
    }

    const NAMES: &[&str] = &[
        "x",
        "demo",
        "synthetic",
        "lastfm",
        "dmpo",
        "dpo",
        "dynamicpo-dmpo",
        "sdpo",
        "gru",
        "transformer",
        "none",
        "minilm",
        "cpu",
        "auto",
        "cosine",
        "constant",
        "",
        "..",
        "a/b",
        "/abs",
        "1",
        "true",
    ];

    /// Values of the types the fields take, in and around their domains.
    fn plausible() -> impl Strategy<Value = Value> {
        let number = |x: f64| Value::Number(Number::from(x));
        let special = [
            0.0,
            -0.0,
            1.0,
            0.5,
            1e-9,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        prop_oneof![
            (-2.0f64..2.0).prop_map(number),
            (0u64..200).prop_map(|x| Value::Number(Number::from(x))),
            prop::sample::select(special.to_vec()).prop_map(number),
            prop::sample::select(NAMES).prop_map(|s| Value::String(s.into())),
            prop::collection::vec(0u64..6, 0..4).prop_map(|v| Value::Sequence(
                v.into_iter()
                    .map(|x| Value::Number(Number::from(x)))
                    .collect()
            )),
            prop::collection::vec(prop::sample::select(NAMES), 0..3).prop_map(|v| {
                Value::Sequence(v.into_iter().map(|s| Value::String(s.into())).collect())
            }),
        ]
    }

    /// 1 to 3 fields of the demo preset replaced, mostly by values of their own type.
    fn edits() -> impl Strategy<Value = Vec<(usize, Value)>> {
        let replacement = prop_oneof![4 => plausible(), 1 => value()];
        prop::collection::vec((any::<usize>(), replacement), 1..4)
    }

    /// Fields of the demo preset as (top-level key, nested key).
    const FIELDS: &[(&str, Option<&str>)] = &[
        ("name", None),
        ("datasets", None),
        ("methods", None),
        ("k", None),
        ("seeds", None),
        ("item_text", None),
        ("architecture", None),
        ("device", None),
        ("threads", None),
        ("synthetic", Some("items")),
        ("objective", Some("beta")),
        ("model", Some("width")),
        ("model", Some("heads")),
        ("model", Some("blocks")),
        ("model", Some("dropout")),
        ("model", Some("architecture")),
        ("sft", Some("epochs")),
        ("sft", Some("batch_size")),
        ("sft", Some("lr")),
        ("sft", Some("weight_decay")),
        ("po", Some("epochs")),
        ("po", Some("batch_size")),
        ("po", Some("lr")),
        ("po", Some("warmup_share")),
        ("po", Some("grad_clip")),
        ("po", Some("dropout")),
        ("po", Some("logged_steps")),
        ("po", Some("schedule")),
    ];

    fn demo_with(edits: &[(usize, Value)]) -> String {
        let demo = ExperimentConfig::preset("demo").unwrap();
        let mut root = serde_norway::to_value(&demo).unwrap();
        for (field, value) in edits {
            let (top, nested) = FIELDS[field % FIELDS.len()];
            let Value::Mapping(map) = &mut root else {
                unreachable!("a config is a mapping")
            };
            match nested {
                None => {
                    map.insert(Value::String(top.into()), value.clone());
                }
                Some(key) => {
                    let entry = map
                        .entry(Value::String(top.into()))
                        .or_insert_with(|| Value::Mapping(Mapping::new()));
                    if let Value::Mapping(inner) = entry {
                        inner.insert(Value::String(key.into()), value.clone());
                    }
                }
            }
        }
        serde_norway::to_string(&root).unwrap()
    }

    fn holds(text: &str) {
        let Ok(c) = parse(text, "prop.yaml") else {
            return;
        };
        assert!(check_name(&c.name).is_ok(), "{text}");
        assert!(
            c.sft.validate().is_ok() && c.po.validate().is_ok(),
            "{text}"
        );
        assert!(c.model.validate().is_ok(), "{text}");
        assert!(c.k.iter().all(|k| (1..=MAX_K).contains(k)), "{text}");
        assert!(!c.seeds.is_empty() && distinct(&c.seeds).is_ok(), "{text}");
        assert!(
            !c.methods.is_empty() && distinct(&c.methods).is_ok(),
            "{text}"
        );
        let again = c.clone().revalidated("resolved");
        assert_eq!(again.ok().as_ref(), Some(&c), "{text}");
    }

    /// The field strategy is not vacuous: some of its configs are accepted.
    #[test]
    fn the_field_strategy_reaches_accepted_configs() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = edits();
        let accepted = (0..64)
            .filter(|_| {
                let edits = strategy.new_tree(&mut runner).unwrap().current();
                parse(&demo_with(&edits), "prop.yaml").is_ok()
            })
            .count();
        assert!(accepted >= 2, "{accepted} of 64");
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 160,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            holds(&text);
        }

        #[test]
        fn token_soup_never_panics(text in soup()) {
            holds(&text);
        }

        #[test]
        fn a_valid_config_with_soup_inserted_never_panics(
            at in 0..BASE.len(),
            inserted in soup(),
        ) {
            holds(&format!("{}{inserted}{}", &BASE[..at], &BASE[at..]));
        }

        #[test]
        fn arbitrary_field_values_never_panic(
            edits in edits(),
        ) {
            holds(&demo_with(&edits));
        }
    }
}
