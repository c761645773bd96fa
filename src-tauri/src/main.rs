//! The `yokeflow` binary: with a subcommand it is the CLI; with none (or `app`) it opens the window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;
use yokeflow_core::cli::{self, Cli, Command};

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("YOKEFLOW_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let cli = Cli::parse();
    if matches!(cli.command, None | Some(Command::App)) {
        #[cfg(feature = "desktop")]
        {
            yokeflow_app::run(cli.db);
            return;
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the async runtime");
    let code = runtime.block_on(cli::run(cli, &mut std::io::stdout(), &mut std::io::stderr()));
    std::process::exit(code);
}
