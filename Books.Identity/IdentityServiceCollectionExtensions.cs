using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

using Books.Settings;

namespace Books.Identity;

/// <summary>
/// An OpenID Connect provider for development and tests: OpenIddict's server with the client-credentials
/// grant only, clients and scopes from configuration (no store), signed and unencrypted JWT access tokens,
/// discovery at <c>/.well-known/openid-configuration</c> and keys at <c>/.well-known/jwks</c>.
/// A deployment brings its own provider; this one is never published.
/// </summary>
public static class IdentityServiceCollectionExtensions
{
    public const string TokenEndpointPath = "connect/token";

    public static IHostApplicationBuilder AddBooksIdentity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<ProviderSettings>, ProviderSettingsValidation>();
        builder.Services.AddOptions<ProviderSettings>().BindConfiguration(ProviderSettings.SectionName).ValidateOnStart();

        builder.Services.AddSingleton<ClientValidation>();
        builder.Services.AddSingleton<ClientSignIn>();
        builder.Services.AddOpenIddict().AddServer(ConfigureServer);
        builder.Services.AddOptions<OpenIddictServerOptions>().Configure<IOptions<ProviderSettings>, ILoggerFactory>((options, settings, loggers) =>
        {
            options.Issuer = settings.Value.Issuer;
            options.Scopes.UnionWith(settings.Value.Scopes.Keys);
            options.AccessTokenLifetime = settings.Value.AccessTokenLifetime;
            foreach (var key in SigningKeys.LoadOrCreate(settings.Value.KeyDirectory!, loggers.CreateLogger(typeof(SigningKeys))))
            {
                options.SigningCredentials.Add(new SigningCredentials(key, SecurityAlgorithms.RsaSha256));
            }
        });

        return builder;
    }

    /// <summary>A token endpoint for the client-credentials grant, its clients and scopes from configuration, no database.</summary>
    private static void ConfigureServer(OpenIddictServerBuilder options)
    {
        options.SetTokenEndpointUris(TokenEndpointPath);
        options.AllowClientCredentialsFlow();

        // Resource servers validate the token themselves, from the published keys (RFC 9068 access tokens).
        options.DisableAccessTokenEncryption();
        options.AddEphemeralEncryptionKey();

        // No database: clients are checked against configuration by the handlers below.
        options.EnableDegradedMode();
        options.DisableTokenStorage();
        options.AddEventHandler<ValidateTokenRequestContext>(handler => handler.UseSingletonHandler<ClientValidation>());
        options.AddEventHandler<HandleTokenRequestContext>(handler => handler.UseSingletonHandler<ClientSignIn>());

        // Plain HTTP to books-identity itself: on loopback under the AppHost and the tests, and behind the Compose
        // deployment's TLS proxy, which terminates HTTPS in front of it.
        options.UseAspNetCore().DisableTransportSecurityRequirement();
    }

    private sealed class ClientValidation(IOptions<ProviderSettings> settings) : IOpenIddictServerHandler<ValidateTokenRequestContext>
    {
        public ValueTask HandleAsync(ValidateTokenRequestContext context)
        {
            ValidateClient(context, settings.Value);
            return default;
        }
    }

    private sealed class ClientSignIn(IOptions<ProviderSettings> settings) : IOpenIddictServerHandler<HandleTokenRequestContext>
    {
        public ValueTask HandleAsync(HandleTokenRequestContext context)
        {
            context.SignIn(PrincipalFor(context.ClientId!, context.Request.GetScopes(), settings.Value));
            return default;
        }
    }

    /// <summary>What the provider cannot serve: no key folder, a client without a secret, a scope no API defines. Each names its key.</summary>
    private sealed class ProviderSettingsValidation : IValidateOptions<ProviderSettings>
    {
        public ValidateOptionsResult Validate(string? name, ProviderSettings settings)
        {
            if (string.IsNullOrWhiteSpace(settings.KeyDirectory))
            {
                return ValidateOptionsResult.Fail(
                    $"Set '{ProviderSettings.SectionName}:KeyDirectory' to the folder that holds (or will hold) the provider's signing keys.");
            }

            foreach (var (id, client) in settings.Clients)
            {
                if (string.IsNullOrEmpty(client.Secret))
                {
                    return ValidateOptionsResult.Fail($"Client '{id}' has no secret ('{ProviderSettings.SectionName}:Clients:{id}:Secret').");
                }

                var unknown = client.AllowedScopes.Where(scope => !settings.Scopes.ContainsKey(scope)).ToList();
                if (unknown.Count > 0)
                {
                    return ValidateOptionsResult.Fail(
                        $"Client '{id}' is allowed scopes no API defines ({string.Join(", ", unknown)}); define them under '{ProviderSettings.SectionName}:Scopes'.");
                }
            }

            return ValidateOptionsResult.Success;
        }
    }

    /// <summary>RFC 6749 4.4 and 5.2: a known client, its own secret, and only scopes it may be granted.</summary>
    internal static void ValidateClient(ValidateTokenRequestContext context, ProviderSettings settings)
    {
        if (context.ClientId is not { } clientId || !settings.Clients.TryGetValue(clientId, out var client) ||
            !SecretsMatch(context.ClientSecret, client.Secret))
        {
            context.Reject(Errors.InvalidClient, "The client is unknown or its secret is wrong.");
            return;
        }

        var refused = context.Request.GetScopes().Where(scope => !client.AllowedScopes.Contains(scope)).ToList();
        if (refused.Count > 0)
        {
            context.Reject(Errors.InvalidScope, $"The client may not be granted: {string.Join(' ', refused)}.");
        }
    }

    /// <summary>
    /// The token's claims: the client as subject, the scopes asked for (all the client may have when it asks
    /// for none) and, as audiences, the APIs those scopes belong to.
    /// </summary>
    internal static ClaimsPrincipal PrincipalFor(string clientId, IEnumerable<string> requested, ProviderSettings settings)
    {
        var client = settings.Clients[clientId];
        var scopes = requested.ToList() is { Count: > 0 } asked ? asked : [.. client.AllowedScopes];
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, clientId);
        identity.SetScopes(scopes);
        identity.SetResources(scopes.Select(scope => settings.Scopes[scope]).Distinct(StringComparer.Ordinal));
        identity.SetDestinations(_ => [Destinations.AccessToken]);

        var principal = new ClaimsPrincipal(identity);
        principal.SetAccessTokenLifetime(client.AccessTokenLifetime ?? settings.AccessTokenLifetime);
        return principal;
    }

    private static bool SecretsMatch(string? presented, string? expected) =>
        presented is not null && expected is not null &&
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
