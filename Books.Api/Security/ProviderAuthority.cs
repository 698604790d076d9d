using System.Net;
using Books.Settings;

namespace Books.Api.Security;

/// <summary>The identity provider books-api trusts, as configured: checked before anything else starts.</summary>
public static class ProviderAuthority
{
    /// <summary>
    /// The provider's address: required, absolute, and HTTPS unless it is this machine (a loopback address or
    /// <c>localhost</c>), where the AppHost and the tests run their provider over plain HTTP. Keys fetched over
    /// plain HTTP from anywhere else could be swapped on the way.
    /// </summary>
    public static Uri Read(IConfiguration configuration)
    {
        var value = configuration[BooksApiSettings.AuthorityKey];
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException(
                $"Books.Api cannot validate bearer tokens: set '{BooksApiSettings.AuthorityKey}' to your OpenID Connect provider (its issuer URL) " +
                $"and '{BooksApiSettings.AudiencesKey}:0' to the audience it issues books-api's tokens for. Under the AppHost both are set for you.");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"'{BooksApiSettings.AuthorityKey}' must be an absolute https:// URL (the provider's issuer), not '{value}'.");
        }

        if (authority.Scheme == Uri.UriSchemeHttp && !IsThisMachine(authority))
        {
            throw new InvalidOperationException(
                $"'{BooksApiSettings.AuthorityKey}' is {value}: plain HTTP is accepted only for a provider on this machine (localhost or a loopback address). " +
                "Use the provider's https:// address.");
        }

        // ASP.NET Core binds Authentication:Schemes:Bearer:SigningKeys (what dotnet user-jwts writes) to symmetric keys
        // that JwtBearer would honour beside the provider's: a shared secret that opens writes anywhere it leaks.
        if (configuration.GetSection(BooksApiSettings.SigningKeysKey).GetChildren().Any())
        {
            throw new InvalidOperationException(
                $"'{BooksApiSettings.SigningKeysKey}' is set: books-api accepts tokens signed only with the keys its identity provider publishes " +
                $"('{BooksApiSettings.AuthorityKey}'), never with a configured key. Remove it (and any user-jwts secrets).");
        }

        if (!configuration.GetSection(BooksApiSettings.AudiencesKey).GetChildren().Any())
        {
            throw new InvalidOperationException(
                $"'{BooksApiSettings.AuthorityKey}' is set, but not '{BooksApiSettings.AudiencesKey}': name the audience your identity provider issues books-api's tokens for " +
                $"(for example {BooksApiSettings.AudiencesKey}:0=api://books), or no token will be accepted.");
        }

        return authority;
    }

    private static bool IsThisMachine(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
