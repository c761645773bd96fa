//! A small Rust workspace for the reused-slot tests and the `slots` benchmark: `dep`, a library of `functions`
//! generated functions (what takes the time to build), and `app`, a binary using it. No registry: it builds offline.

#![allow(dead_code)]

/// The workspace's files (path, content); `target/` ignored.
pub fn files(functions: usize) -> Vec<(String, String)> {
    let mut lib = String::from("//! Generated: enough code to take a moment to build.\n\n");
    for i in 0..functions {
        lib.push_str(&format!(
            "pub fn f{i}(x: u64) -> u64 {{\n    let mut v = x;\n    for k in 0..{} {{\n        v = v.wrapping_mul(31).wrapping_add(k ^ {i});\n    }}\n    v\n}}\n\n",
            i % 7 + 1
        ));
    }
    lib.push_str("pub fn all(x: u64) -> u64 {\n    let mut v = x;\n");
    for i in 0..functions {
        lib.push_str(&format!("    v ^= f{i}(v);\n"));
    }
    lib.push_str("    v\n}\n");
    vec![
        (".gitignore".into(), "target/\n".into()),
        ("Cargo.toml".into(), "[workspace]\nmembers = [\"dep\", \"app\"]\nresolver = \"2\"\n".into()),
        ("dep/Cargo.toml".into(), "[package]\nname = \"dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n".into()),
        ("dep/src/lib.rs".into(), lib),
        (
            "app/Cargo.toml".into(),
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ndep = { path = \"../dep\" }\n"
                .into(),
        ),
        ("app/src/main.rs".into(), "fn main() {\n    println!(\"{}\", dep::all(1));\n}\n".into()),
    ]
}

/// `cargo build --offline` as a worktree's setup runs it: YokeFlow's own build folder (`CARGO_TARGET_DIR`, set when
/// the tests run under CI) left out, so the workspace builds into its own `target/`.
pub fn build_argv() -> Vec<String> {
    ["env", "-u", "CARGO_TARGET_DIR", "cargo", "build", "--offline"].iter().map(|s| s.to_string()).collect()
}
