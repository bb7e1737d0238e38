use std::time::Instant;
use prefbench_baselines::text::{ModelFiles, SentenceEncoder};
use tch::Device;
fn main() {
    let text = std::fs::read_to_string("/work/shared/golden/minilm-titles.json").unwrap();
    let golden: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    let titles: Vec<String> = (0..4606).map(|i| cases[i % cases.len()]["text"].as_str().unwrap().to_string()).collect();
    let texts: Vec<&str> = titles.iter().map(String::as_str).collect();
    println!("threads {}", tch::get_num_threads());
    let t = Instant::now();
    let enc = SentenceEncoder::load(&ModelFiles::locate().unwrap(), Device::Cpu).unwrap();
    println!("load {:.2}", t.elapsed().as_secs_f64());
    for _ in 0..2 {
        let t = Instant::now();
        let ids = enc.token_ids(&texts).unwrap();
        println!("tokenize {:.3} (max len {})", t.elapsed().as_secs_f64(), ids.iter().map(|v| v.len()).max().unwrap());
        let t = Instant::now();
        let e = enc.embed(&texts).unwrap();
        println!("embed {:.2} {:?}", t.elapsed().as_secs_f64(), e.size());
    }
}
