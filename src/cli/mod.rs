//! Command-line interface: parsing and the commands' implementations.

mod admin;
mod attack_eval;
mod backup;
mod bench;
mod commands;
mod face;
mod incident;
mod master_key;
mod stress_eval;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use commands::run;

#[derive(Debug, Parser)]
#[command(name = "visage", version, about = "Visage OpenID Connect provider")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Folder for the SQLite database, master key and visage.toml.
    #[arg(long, global = true, env = "VISAGE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (postgres://… or sqlite://PATH); default SQLite in the data dir.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Configuration file (default: ./visage.toml, then DATA_DIR/visage.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
// Parsed once per run; boxing the big variant would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the provider.
    Serve {
        /// Address to bind, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<String>,
        /// Public issuer URL.
        #[arg(long)]
        issuer: Option<String>,
    },
    /// Create or upgrade the database schema.
    Migrate,
    /// Manage relying parties.
    #[command(subcommand)]
    Client(ClientCmd),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Administrators: the first owner, roles.
    #[command(subcommand)]
    Admin(AdminCmd),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Incident actions (docs/operations.md): revoke tokens, make people
    /// sign in again, block address ranges, switch face sign-in off.
    #[command(subcommand)]
    Incident(IncidentCmd),
    /// Check the hash chain of the audit log.
    AuditVerify,
    /// Delete the audit events past their retention now (`[retention]`;
    /// the server does it every `retention.purge_every_hours`).
    AuditPurge,
    /// Copy the SQLite database, sealed under the master key, while it runs.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup's database in place (SQLite; the server stopped).
    Restore {
        /// A file written by `visage backup`.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Face engine tools: check, compare, bench, eval, pad-eval.
    #[command(subcommand)]
    Face(FaceCmd),
    /// Face model files.
    #[command(subcommand)]
    Models(ModelsCmd),
}

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Print a one-time invitation link that creates the first owner.
    Bootstrap,
    /// Give an account (by email) or a client (for the admin API with client
    /// credentials) a role: owner, admin or auditor.
    Grant {
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        client: Option<String>,
        #[arg(long)]
        role: String,
    },
    /// List administrators.
    List,
}

#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Folder with manifest.toml and the model files (default: ./models).
    #[arg(long)]
    pub models_dir: Option<PathBuf>,
    /// ONNX Runtime threads per session.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// YuNet input size: 320 (fast, default) or 640.
    #[arg(long, default_value_t = 320)]
    pub detector_size: u32,
    /// Cosine similarity for a match (default: the measured one of the
    /// models in use); `face eval` reports FMR/FNMR at it, so a threshold
    /// can be measured before it is set in the console.
    #[arg(long)]
    pub match_threshold: Option<f32>,
    /// ONNX Runtime graph optimization: auto (default: each model timed at
    /// load under the three levels, the fastest kept), basic, extended or all.
    #[arg(long, default_value = "auto")]
    pub graph_level: crate::biometrics::runtime::GraphLevel,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCmd {
    /// Verify checksums and say which model set the engine uses.
    Check {
        #[arg(long)]
        models_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FaceCmd {
    /// Faces found, quality verdicts, liveness score and decision for one image.
    Check {
        image: PathBuf,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Similarity of the faces in two images, the threshold and the decision.
    Compare {
        image_a: PathBuf,
        image_b: PathBuf,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Median milliseconds per stage and per frame, 1 thread and all threads.
    Bench {
        #[arg(long)]
        images: PathBuf,
        /// Frames of a person turning (e.g. target/testdata/carphone): also
        /// time 5-frame challenges examined as the server does.
        #[arg(long)]
        clip: Option<PathBuf>,
        /// Passes over the images.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Genuine/impostor distributions, ROC, EER and FNMR at fixed FMRs.
    Eval {
        /// CSV with columns a,b,same (1 genuine, 0 impostor).
        #[arg(long)]
        pairs: PathBuf,
        #[arg(long)]
        images: PathBuf,
        /// Also the stress set: each pair's second photo degraded (dark,
        /// bright, side light, blur, low resolution, JPEG 15, noise); error
        /// rates at the threshold in use per condition.
        #[arg(long)]
        stress: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Answers a camera in front of the person would not produce (replays,
    /// unlit recordings, animated stills, two people, recaptures, bad
    /// timing), synthesised from a clip and other people's photos and
    /// examined as the server does: accepted per species.
    AttackEval {
        /// Frames of one person facing the camera, then turning to one side.
        #[arg(long)]
        clip: PathBuf,
        /// Photos of other people (for the two-people species).
        #[arg(long)]
        others: Option<PathBuf>,
        /// Answers per species, each to a new challenge.
        #[arg(long, default_value_t = 10)]
        trials: usize,
        /// Only these species (names as printed, comma-separated; the bona
        /// fide row is always measured). Default: every species.
        #[arg(long, value_delimiter = ',')]
        species: Vec<String>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// APCER per attack species and BPCER of the passive liveness check.
    PadEval {
        #[arg(long)]
        dir: PathBuf,
        /// Bona fide sample file names (relative to --dir).
        #[arg(long = "bona-fide", required = true)]
        bona_fide: Vec<String>,
        /// Attack samples as SPECIES=FILE (e.g. print=image_F1.jpg).
        #[arg(long = "attack", required = true)]
        attacks: Vec<String>,
        #[command(flatten)]
        engine: EngineArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuthMethodArg {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

#[derive(Debug, Subcommand)]
// Parsed once per run; boxing the big variant would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum ClientCmd {
    /// Register a client; prints client_id and (once) client_secret.
    Add {
        #[arg(long)]
        name: String,
        /// Fixed client id (default: random).
        #[arg(long)]
        id: Option<crate::ids::ClientId>,
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A public client (no secret, PKCE required).
        #[arg(long)]
        public: bool,
        /// Grant types (default: authorization_code refresh_token, plus client_credentials for confidential clients).
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// Token endpoint authentication method (default client_secret_basic, or none with --public).
        #[arg(long, value_enum)]
        auth_method: Option<AuthMethodArg>,
        /// JWK Set file with the client's public keys (private_key_jwt).
        #[arg(long)]
        jwks_file: Option<PathBuf>,
        /// ID token signing algorithm: RS256, ES256 or EdDSA.
        #[arg(long, default_value = "RS256")]
        id_token_alg: String,
        /// Allow PKCE method "plain" (not recommended).
        #[arg(long)]
        allow_plain_pkce: bool,
        /// First-party client: skip the consent screen.
        #[arg(long)]
        first_party: bool,
        /// Logo shown on the sign-in pages (https URL).
        #[arg(long)]
        logo_uri: Option<String>,
        /// Privacy policy link shown on the sign-in pages.
        #[arg(long)]
        policy_uri: Option<String>,
        /// Terms of service link shown on the sign-in pages.
        #[arg(long)]
        tos_uri: Option<String>,
        /// Button and link colour, e.g. #0b7285.
        #[arg(long)]
        accent_color: Option<String>,
        /// Page background colour, e.g. #f1f3f5.
        #[arg(long)]
        background_color: Option<String>,
        /// Theme of its sign-in pages: default, dark, high-contrast or one of
        /// the deployment's (themes.dir); unset: the deployment's default.
        #[arg(long)]
        theme: Option<String>,
        /// Face step: default (people who set up their face), require, off.
        #[arg(long, default_value = "default")]
        face_policy: String,
        /// Password sign-in: default (the [login] settings), email_code (password then an
        /// emailed code), off (passkeys only).
        #[arg(long, default_value = "default")]
        password_policy: String,
        /// The lowest level every sign-in must reach: password, passkey or passkey_face
        /// (unset: the request's acr_values / claims decide).
        #[arg(long)]
        required_acr: Option<String>,
        /// A scope the client may ask for itself with client_credentials (repeat for
        /// several), e.g. `api:read`; none by default.
        #[arg(long = "service-scope")]
        service_scopes: Vec<String>,
        /// An audience (absolute URI, RFC 8707 `resource`) its client_credentials tokens
        /// may name (repeat for several).
        #[arg(long = "audience")]
        audiences: Vec<String>,
        /// A web origin (https://host[:port]) whose pages may call /token and
        /// /userinfo for this client from a browser (CORS; repeat for several).
        #[arg(long = "allowed-origin")]
        allowed_origins: Vec<String>,
        /// An address range (CIDR) the client's calls to /token, /introspect and
        /// /revoke may come from (repeat for several; none: anywhere).
        #[arg(long = "allowed-network")]
        allowed_networks: Vec<String>,
    },
    /// List clients.
    List,
    /// Remove a client and everything issued to it.
    Remove { id: crate::ids::ClientId },
    /// Issue a new secret (printed once); the old one stops working.
    RotateSecret { id: crate::ids::ClientId },
    /// Refuse new authorizations and token requests from a client.
    Disable { id: crate::ids::ClientId },
    /// Undo `disable`.
    Enable { id: crate::ids::ClientId },
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create a verified account with a password.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Create a single-use sign-up invitation link (printed once).
    Invite {
        /// Only this address may use it (default: anyone).
        #[arg(long)]
        email: Option<String>,
    },
    /// List accounts.
    List,
    /// Delete an account and everything issued to it.
    Remove { email: String },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCmd {
    /// What is in force: face sign-in, everyone's floor, blocked ranges.
    Show,
    /// Revoke every token a client holds.
    RevokeClientTokens {
        client: crate::ids::ClientId,
        #[arg(long)]
        reason: String,
    },
    /// Revoke every token of a person's sign-ins (by email).
    RevokePersonTokens {
        email: String,
        #[arg(long)]
        reason: String,
    },
    /// End a person's sessions and tokens; earlier sign-ins stop counting.
    Reauthenticate {
        email: String,
        #[arg(long)]
        reason: String,
    },
    /// Everyone signs in again (every session and person's token ends).
    ReauthenticateEveryone {
        #[arg(long)]
        reason: String,
    },
    /// Refuse every request from an address range (CIDR) or an address.
    Block {
        network: String,
        #[arg(long)]
        reason: String,
        /// Lift by itself after this many hours (default: until lifted).
        #[arg(long)]
        hours: Option<i64>,
    },
    /// Lift a block (its id, from `incident show`).
    Lift {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Face sign-in on or off for the whole deployment.
    Face {
        #[arg(value_parser = ["on", "off"])]
        state: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// List signing keys.
    List,
    /// Create new signing keys; old ones stay published until their tokens expire.
    Rotate {
        /// Only this algorithm (default: every configured one).
        #[arg(long)]
        alg: Option<String>,
    },
    /// Re-seal every sealed field (signing keys, face templates, refresh
    /// retries, stable keys) under a new master key, in batches, while the
    /// servers run; run it again to carry on a rotation that was stopped
    /// (docs/operations.md "Master key rotation").
    RotateMaster {
        /// Rows re-sealed per transaction.
        #[arg(long, default_value_t = 500)]
        batch_size: i64,
        /// Seconds between the start and the first re-sealing, for every
        /// server to learn the new key (at least twice the controls' reload).
        #[arg(long, default_value_t = crate::admin::master_key::SETTLE_SECONDS)]
        settle_seconds: i64,
    },
}
