//! The window's command bindings, generated from the Rust side: every `#[tauri::command]` of `src/commands.rs`
//! becomes an entry of `src-ui/src/commands.ts` (its name, its arguments as Tauri names them, its answer), the
//! types coming from the core's ts-rs bindings. `api.ts` calls commands only through that table, so a name, an
//! argument or an answer that drifts from Rust fails the frontend's type check.
//!
//! The test fails when the file is not what the commands make of it; `YOKEFLOW_UPDATE_BINDINGS=1 cargo test -p
//! yokeflow --test commands_ts` writes it. It also fails on a command defined but not registered with the
//! window's handler (or registered but not defined), and on an argument or answer type it cannot name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::{Attribute, FnArg, GenericArgument, Item, Pat, PathArguments, ReturnType, Type};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The Rust parameters the window never passes: Tauri fills them in.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow"];

struct Command {
    name: String,
    doc: Vec<String>,
    /// (camelCase name, TS type, optional)
    args: Vec<(String, String, bool)>,
    answer: String,
}

fn doc_of(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value().trim().to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn is_command(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segments: Vec<String> = a.path().segments.iter().map(|s| s.ident.to_string()).collect();
        segments == ["tauri", "command"]
    })
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn generic_args(segment: &syn::PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The TypeScript for a Rust type as serde sends it; named types must be exported by the core's bindings.
fn ts(ty: &Type, imports: &mut BTreeSet<String>) -> Result<String, String> {
    match ty {
        Type::Reference(r) => ts(&r.elem, imports),
        // Tauri answers `()` with null.
        Type::Tuple(t) if t.elems.is_empty() => Ok("null".into()),
        Type::Slice(s) => Ok(format!("Array<{}>", ts(&s.elem, imports)?)),
        Type::Path(p) => {
            let segment = p.path.segments.last().ok_or("an empty path")?;
            let args = generic_args(segment);
            let name = segment.ident.to_string();
            Ok(match name.as_str() {
                "String" | "str" | "PathBuf" | "Path" => "string".into(),
                "bool" => "boolean".into(),
                "u8" | "u16" | "u32" | "i8" | "i16" | "i32" | "i64" | "u64" | "usize" | "f32" | "f64" => {
                    "number".into()
                }
                "Value" => "unknown".into(),
                "Option" => format!("{} | null", ts(args.first().ok_or("Option without a type")?, imports)?),
                "Vec" => format!("Array<{}>", ts(args.first().ok_or("Vec without a type")?, imports)?),
                "Result" => ts(args.first().ok_or("Result without a type")?, imports)?,
                _ if args.is_empty() => {
                    imports.insert(name.clone());
                    name
                }
                _ => return Err(format!("no TypeScript for the generic type `{name}`")),
            })
        }
        other => Err(format!("no TypeScript for `{}`", quote_type(other))),
    }
}

fn quote_type(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p.path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::"),
        _ => "a type".into(),
    }
}

fn injected(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p.path.segments.last().is_some_and(|s| INJECTED.contains(&s.ident.to_string().as_str())),
        _ => false,
    }
}

fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

fn commands(imports: &mut BTreeSet<String>) -> Vec<Command> {
    let source = std::fs::read_to_string(root().join("src-tauri/src/commands.rs")).unwrap();
    let file = syn::parse_file(&source).unwrap();
    let mut out = Vec::new();
    for item in file.items {
        let Item::Fn(f) = item else { continue };
        if !is_command(&f.attrs) {
            continue;
        }
        let name = f.sig.ident.to_string();
        let mut args = Vec::new();
        for input in &f.sig.inputs {
            let FnArg::Typed(arg) = input else { panic!("`{name}` takes self") };
            if injected(&arg.ty) {
                continue;
            }
            let Pat::Ident(ident) = &*arg.pat else { panic!("`{name}` has a pattern argument") };
            let ty = ts(&arg.ty, imports).unwrap_or_else(|e| panic!("`{name}`'s `{}`: {e}", ident.ident));
            args.push((camel(&ident.ident.to_string()), ty, is_option(&arg.ty)));
        }
        let answer = match &f.sig.output {
            ReturnType::Default => "null".into(),
            ReturnType::Type(_, ty) => ts(ty, imports).unwrap_or_else(|e| panic!("`{name}`'s answer: {e}")),
        };
        out.push(Command { name, doc: doc_of(&f.attrs), args, answer });
    }
    out
}

/// The commands registered with the window's handler (`generate_handler!` in `src/lib.rs`).
fn registered() -> BTreeSet<String> {
    let source = std::fs::read_to_string(root().join("src-tauri/src/lib.rs")).unwrap();
    let start = source.find("generate_handler![").expect("lib.rs registers the commands") + "generate_handler![".len();
    let end = start + source[start..].find(']').unwrap();
    source[start..end]
        .split(',')
        .map(|entry| entry.trim().rsplit("::").next().unwrap().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

fn generate() -> String {
    let mut imports = BTreeSet::new();
    let commands = commands(&mut imports);
    let defined: BTreeSet<String> = commands.iter().map(|c| c.name.clone()).collect();
    assert_eq!(defined, registered(), "every command is registered with the window's handler, and only those");
    imports.remove("ErrorDto");
    let bindings = std::fs::read_to_string(root().join("src-ui/src/bindings.ts")).unwrap();
    for name in &imports {
        assert!(bindings.contains(&format!("export type {name} ")), "`{name}` is not in the core's bindings.ts");
    }
    let mut ts = String::from(
        "// Generated from src-tauri/src/commands.rs by the app crate's test `commands_ts`: do not edit (run\n\
         // `YOKEFLOW_UPDATE_BINDINGS=1 cargo test -p yokeflow --test commands_ts` after changing a command). Each command\n\
         // the window may call: its arguments as Tauri names them (camelCase; `null` for none) and its answer.\n",
    );
    ts.push_str(&format!(
        "import type {{ {} }} from \"./bindings\";\n\n",
        imports.iter().cloned().collect::<Vec<_>>().join(", ")
    ));
    ts.push_str("export type Commands = {\n");
    for c in &commands {
        if !c.doc.is_empty() {
            ts.push_str("  /**\n");
            for line in &c.doc {
                ts.push_str(&format!("   *{}{}\n", if line.is_empty() { "" } else { " " }, line.replace("*/", "*\\/")));
            }
            ts.push_str("   */\n");
        }
        let args = if c.args.is_empty() {
            "null".to_string()
        } else {
            let fields: Vec<String> = c
                .args
                .iter()
                .map(|(name, ty, optional)| format!("{name}{}: {ty}", if *optional { "?" } else { "" }))
                .collect();
            format!("{{ {} }}", fields.join("; "))
        };
        ts.push_str(&format!("  {}: {{ args: {args}; answer: {} }};\n", c.name, c.answer));
    }
    ts.push_str("};\n\n/** The name of a command. */\nexport type CommandName = keyof Commands;\n");
    ts
}

#[test]
fn the_window_s_command_bindings_are_generated_from_the_commands() {
    let path = root().join("src-ui/src/commands.ts");
    let generated = generate();
    if std::env::var_os("YOKEFLOW_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "src-ui/src/commands.ts is not what src-tauri/src/commands.rs makes of it: run \
         `YOKEFLOW_UPDATE_BINDINGS=1 cargo test -p yokeflow --test commands_ts`"
    );
}

#[test]
fn rust_types_become_what_serde_sends() {
    let mut imports = BTreeSet::new();
    let ty = |text: &str, imports: &mut BTreeSet<String>| ts(&syn::parse_str::<Type>(text).unwrap(), imports);
    assert_eq!(ty("Result<Vec<ProjectSummary>, ErrorDto>", &mut imports).unwrap(), "Array<ProjectSummary>");
    assert_eq!(ty("Option<u32>", &mut imports).unwrap(), "number | null");
    assert_eq!(ty("Result<(), ErrorDto>", &mut imports).unwrap(), "null");
    assert_eq!(ty("&str", &mut imports).unwrap(), "string");
    assert!(imports.contains("ProjectSummary"));
    assert!(ty("HashMap<String, u32>", &mut imports).is_err(), "a generic it cannot name is an error");
    assert_eq!(camel("project_id"), "projectId");
}
