using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Books.Api.Security;

/// <summary>The provider's metadata or keys could not be fetched, and none were fetched before: no token can be checked.</summary>
public sealed class IdentityProviderUnavailableException(Exception inner)
    : Exception("The identity provider's metadata and signing keys could not be fetched.", inner);

/// <summary>
/// JwtBearer fetches the provider's metadata and keys when a write first needs them, and rethrows
/// "unable to obtain configuration" when it cannot: a 500 by default. This names that failure
/// (<see cref="IdentityProviderUnavailableException"/>, answered 503 with Retry-After) and changes nothing
/// else: keys once fetched keep validating while the provider is down (the manager keeps its last
/// configuration), a failed first fetch is tried again within <c>RefreshInterval</c>, and a token signed
/// with a key not yet seen asks for a refresh as before.
/// </summary>
internal sealed class IdentityProviderOutages : IPostConfigureOptions<JwtBearerOptions>
{
    public void PostConfigure(string? name, JwtBearerOptions options)
    {
        if (name == JwtBearerDefaults.AuthenticationScheme && options.ConfigurationManager is { } manager and not Translating)
        {
            options.ConfigurationManager = new Translating(manager);
        }
    }

    private sealed class Translating(IConfigurationManager<OpenIdConnectConfiguration> inner) : IConfigurationManager<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
        {
            try
            {
                return await inner.GetConfigurationAsync(cancel).ConfigureAwait(false);
            }
            catch (Exception error) when (!cancel.IsCancellationRequested)
            {
                throw new IdentityProviderUnavailableException(error);
            }
        }

        public void RequestRefresh() => inner.RequestRefresh();
    }
}
