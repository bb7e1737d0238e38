//! A bit-exact port of the parts of CPython's `random` module that S-DPO's candidate protocol
//! uses (MT19937, integer seeding, `getrandbits`, `_randbelow`, `sample`, `shuffle`): the
//! LastFM recipe only reproduces the published JSON byte for byte if every draw matches.
//! Checked against vectors from CPython 3.11 (`tests/fixtures/gen_pyrandom_vectors.py`).

const N: usize = 624;
const M: usize = 397;

/// CPython's `random.Random`, restricted to integer seeds and draws below 2^32.
pub struct PyRandom {
    mt: [u32; N],
    index: usize,
}

impl PyRandom {
    /// `random.Random(seed)`: the seed's 32-bit little-endian words go through `init_by_array`
    /// (seed 0 gives the key `[0]`).
    pub fn new(seed: u64) -> Self {
        let mut key = vec![seed as u32];
        if seed >> 32 != 0 {
            key.push((seed >> 32) as u32);
        }
        let mut r = PyRandom {
            mt: [0; N],
            index: N,
        };
        r.init_by_array(&key);
        r
    }

    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..N {
            let prev = self.mt[i - 1];
            self.mt[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let mt = &mut self.mt;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn twist(&mut self) {
        for k in 0..N {
            let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % N] & 0x7fff_ffff);
            let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
            self.mt[k] = self.mt[(k + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// `getrandbits(k)` for `1 <= k <= 32`: one output, keeping its top `k` bits.
    pub fn getrandbits(&mut self, k: u32) -> u32 {
        assert!(
            (1..=32).contains(&k),
            "getrandbits is ported for 1..=32 bits, got {k}"
        );
        self.next_u32() >> (32 - k)
    }

    /// `_randbelow(n)`: rejection sampling on `bit_length(n)` bits.
    pub fn randbelow(&mut self, n: u32) -> u32 {
        assert!(n > 0, "randbelow(0) is undefined");
        let k = 32 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `sample(range(n), k)`: the indices CPython 3.11 picks, in selection order. Both of its
    /// branches are ported: a pool for small populations, a set of picks for large ones.
    pub fn sample(&mut self, n: u32, k: usize) -> Vec<u32> {
        assert!(k <= n as usize, "sample larger than population ({k} > {n})");
        let mut setsize = 21usize;
        if k > 5 {
            // CPython: 4 ** ceil(log(k * 3, 4)), computed in floating point.
            let exp = ((k * 3) as f64).ln() / 4f64.ln();
            setsize += 4usize.pow(exp.ceil() as u32);
        }
        if n as usize <= setsize {
            let mut pool: Vec<u32> = (0..n).collect();
            (0..k as u32)
                .map(|i| {
                    let j = self.randbelow(n - i) as usize;
                    let picked = pool[j];
                    pool[j] = pool[(n - i - 1) as usize];
                    picked
                })
                .collect()
        } else {
            let mut result = Vec::with_capacity(k);
            while result.len() < k {
                let j = self.randbelow(n);
                if !result.contains(&j) {
                    result.push(j);
                }
            }
            result
        }
    }

    /// `shuffle(x)`: Fisher–Yates from the end, swapping `i` with `randbelow(i + 1)`.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.randbelow(i as u32 + 1) as usize;
            x.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PyRandom;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Case {
        seed: u64,
        getrandbits: Vec<u32>,
        randbelow: Vec<u32>,
        sample_4587: Vec<u32>,
        sample_4600: Vec<u32>,
        sample_60: Vec<u32>,
        shuffle_20: Vec<u32>,
    }

    #[derive(Deserialize)]
    struct Vectors {
        cases: Vec<Case>,
    }

    #[test]
    fn matches_cpython_vectors() {
        let v: Vectors =
            serde_json::from_str(include_str!("../tests/fixtures/pyrandom_vectors.json")).unwrap();
        assert!(v.cases.len() >= 8);
        for c in &v.cases {
            let mut r = PyRandom::new(c.seed);
            let mut bits: Vec<u32> = (0..5).map(|_| r.getrandbits(32)).collect();
            bits.extend([1, 7, 13, 31].map(|k| r.getrandbits(k)));
            assert_eq!(bits, c.getrandbits, "getrandbits, seed {}", c.seed);
            let mut r = PyRandom::new(c.seed);
            let below: Vec<u32> = [1, 2, 3, 20, 4587, 100_000]
                .map(|n| r.randbelow(n))
                .to_vec();
            assert_eq!(below, c.randbelow, "randbelow, seed {}", c.seed);
            for (n, want) in [
                (4587, &c.sample_4587),
                (4600, &c.sample_4600),
                (60, &c.sample_60),
            ] {
                assert_eq!(
                    &PyRandom::new(c.seed).sample(n, 19),
                    want,
                    "sample({n}), seed {}",
                    c.seed
                );
            }
            let mut x: Vec<u32> = (0..20).collect();
            PyRandom::new(c.seed).shuffle(&mut x);
            assert_eq!(x, c.shuffle_20, "shuffle, seed {}", c.seed);
        }
    }
}
