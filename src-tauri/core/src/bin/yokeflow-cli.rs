//! `yokeflow-cli`: the whole `yokeflow` command line from the core crate alone, without the window (what the app's
//! `yokeflow <command>` runs). Tests run it as a child process, e.g. as a hostile agent would call YokeFlow.

#[tokio::main]
async fn main() {
    let code = {
        let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
        yokeflow_core::cli::run_args(std::env::args(), &mut out, &mut err).await
    };
    std::process::exit(code);
}
