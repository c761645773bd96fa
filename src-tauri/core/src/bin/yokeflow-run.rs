//! `yokeflow-run`: the headless `yokeflow run` command from the core crate alone, without building the app.
//! `yokeflow-run [--db PATH] [--repo PATH] [run options]` is `yokeflow run ...` (the crash tests drive it as a
//! child process and kill it at random moments).

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = vec!["yokeflow".into(), "run".into()];
    args.extend(std::env::args().skip(1));
    let code = {
        let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
        yokeflow_core::cli::run_args(args, &mut out, &mut err).await
    };
    std::process::exit(code);
}
