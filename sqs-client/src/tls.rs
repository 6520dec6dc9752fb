//! HTTPS: rustls with the *ring* crypto provider.

/// Installs rustls' *ring* crypto provider as the process default, unless the application has
/// installed one already; a process-wide setting, hence an explicit opt-in.
///
/// The client calls it when it is built, because reqwest in this build has no provider of its
/// own. Call it yourself only when the first HTTPS client your program builds is another
/// reqwest-based one (object_store's, for instance, before any of ours); an application that
/// prefers another provider installs it before building any client, and this leaves it in place.
///
/// ```
/// sqs_client::install_crypto_provider();
/// // Idempotent: a second call, or a provider the application installed first, is kept.
/// sqs_client::install_crypto_provider();
/// ```
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
