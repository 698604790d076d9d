namespace Books.Settings;

/// <summary>
/// What the provider knows, all from configuration (section <c>Identity</c>): the clients that may ask for
/// tokens, which scope belongs to which API (the token's audience), where the signing keys live, and how
/// long a token lives.
/// </summary>
public sealed class ProviderSettings
{
    public const string SectionName = "Identity";

    /// <summary>
    /// The issuer (<c>iss</c>) and the base of every address in the discovery document, for a provider behind a proxy
    /// (the Compose deployment's). Unset: the address each request came to, as on loopback under the AppHost.
    /// </summary>
    public Uri? Issuer { get; set; }

    /// <summary>Folder of RSA private keys (<c>*.pem</c>, PKCS#8). The newest file by name signs; all are published.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>Scope name to the API (audience) it grants access to, e.g. <c>books.write</c> to <c>books-api</c>.</summary>
    public Dictionary<string, string> Scopes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Client id to its secret and the scopes it may be granted.</summary>
    public Dictionary<string, ClientSettings> Clients { get; set; } = new(StringComparer.Ordinal);

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);
}

public sealed class ClientSettings
{
    public string? Secret { get; set; }

    /// <summary>The scopes this client may be granted, separated by spaces.</summary>
    public string Scopes { get; set; } = "";

    /// <summary>Overrides the provider's access-token lifetime for this client.</summary>
    public TimeSpan? AccessTokenLifetime { get; set; }

    public IReadOnlySet<string> AllowedScopes => Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
}
