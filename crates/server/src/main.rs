//! `pingme`: the chat server and its operator commands.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use pingme_server::admin::{self, AccountName, CategoryCommand, CreateUser, CreateUsers};
use pingme_server::{Application, Settings, app, telemetry};

/// mimalloc hands freed memory back to the system (glibc's allocator keeps, per thread
/// arena, the 19 MiB each password hash takes) and is quicker with the many small
/// allocations of JSON and frames.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "pingme", version, about = "A fast, self-hostable chat server")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP and WebSocket clients.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Operator commands.
    #[command(subcommand)]
    Admin(Admin),
    /// Print the OpenAPI document (the one served at /api/docs/schema/), for generating
    /// clients without a running server.
    Openapi {
        /// `yaml` or `json`.
        #[arg(long, default_value = "yaml", value_parser = ["yaml", "json"])]
        format: String,
    },
}

#[derive(Subcommand)]
enum Admin {
    /// Create an account; the password comes from PINGME_ADMIN_PASSWORD or standard input.
    CreateUser(CreateUser),
    /// Create numbered, verified accounts sharing one password, and a CSV of them for
    /// pingme-bench.
    CreateUsers(CreateUsers),
    /// Shut an account out: it cannot log in and its tokens stop working.
    DeactivateUser(AccountName),
    /// Let a deactivated account back in.
    ActivateUser(AccountName),
    /// Manage categories.
    #[command(subcommand)]
    Category(CategoryCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init();
    match cli.command {
        Command::Serve => {
            let app = Application::build(cli.settings.into_config()?).await?;
            println!("pingme is listening on {}", app.url());
            app.run_until(app::shutdown_signal()).await
        }
        Command::Migrate => {
            cli.settings.open_store().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Openapi { format } => {
            let document = pingme_api::openapi();
            let text = match format.as_str() {
                "json" => document.to_pretty_json()?,
                _ => document.to_yaml()?,
            };
            println!("{text}");
            Ok(())
        }
        Command::Admin(command) => {
            let store = cli.settings.open_store().await?;
            let operator = admin::Operator::new(store, &cli.settings)?;
            let app = &operator.app;
            let done = match command {
                Admin::CreateUser(args) => admin::create_user(app, args).await,
                Admin::CreateUsers(args) => admin::create_users(app, args).await,
                Admin::DeactivateUser(args) => admin::set_active(app, args, false).await,
                Admin::ActivateUser(args) => admin::set_active(app, args, true).await,
                Admin::Category(command) => {
                    let max_upload = cli.settings.max_upload_bytes;
                    admin::category(app, max_upload, command).await
                }
            };
            // Whatever the command published reaches the nodes, even if it failed half-way.
            operator.finish().await;
            done
        }
    }
}
