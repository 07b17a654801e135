use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = visage::cli::Cli::parse();
    match visage::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
