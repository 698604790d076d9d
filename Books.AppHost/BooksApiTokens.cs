using Books.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Books.AppHost;

/// <summary>How books-api learns which bearer tokens to accept, in each execution mode.</summary>
internal static class BooksApiTokens
{
    public const string AuthorityParameter = "books-api-authority";
    public const string AudienceParameter = "books-api-audience";
    public const string IdentityResourceName = "books-identity";
    public const string DashboardClientId = "books-dashboard";
    public const string DashboardClientSecretParameter = "books-dashboard-client-secret";
    public const string DashboardScopes = $"{BooksApiSettings.WriteScope} {BooksApiSettings.AdminScope}";
    public const string KeyDirectoryKey = "BooksIdentity:KeyDirectory";

    private static readonly string s_authorityVariable = SettingsKey.AsEnvironmentVariable(BooksApiSettings.AuthorityKey);
    private static readonly string s_audienceVariable = SettingsKey.AsEnvironmentVariable($"{BooksApiSettings.AudiencesKey}:0");
    private static readonly string s_keyDirectoryVariable =
        SettingsKey.AsEnvironmentVariable(SettingsKey.Of(ProviderSettings.SectionName, nameof(ProviderSettings.KeyDirectory)));

    /// <summary>
    /// <c>books-identity</c>, the OpenID Connect provider books-api trusts when the AppHost runs (its signing keys in a
    /// folder, its dashboard client's secret a generated parameter); none in publish mode, where the deployer names
    /// their own provider (<see cref="WithBearerTokenValidation"/>).
    /// </summary>
    public static IResourceBuilder<ProjectResource>? AddBooksIdentity(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return null;
        }

        var dashboardSecret = builder.AddParameter(DashboardClientSecretParameter,
            new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true)
            .WithDescription("The secret of the dashboard's client at books-identity (development only), generated once and kept in the AppHost's user secrets.");
        return builder.AddProject<Projects.Books_Identity>(IdentityResourceName)
            .WithEnvironment(s_keyDirectoryVariable, builder.Configuration[KeyDirectoryKey] is { Length: > 0 } keys ? keys : DefaultKeyDirectory())
            .WithEnvironment(DashboardClientVariable(nameof(ClientSettings.Secret)), dashboardSecret)
            .WithEnvironment(DashboardClientVariable(nameof(ClientSettings.Scopes)), DashboardScopes)
            .WithHttpHealthCheck("/health")
            .WithoutDeveloperCertificate();
    }

    /// <summary>
    /// books-api validates tokens only through an OpenID Connect provider. Publish mode: the deployer's provider and
    /// audience, as parameters. Run mode: <paramref name="identity"/>, whose address books-api gets as its authority,
    /// and from which the dashboard commands take their tokens.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBearerTokenValidation(
        this IResourceBuilder<ProjectResource> api, IResourceBuilder<ProjectResource>? identity)
    {
        var builder = api.ApplicationBuilder;
        if (identity is null)
        {
            return api
                .WithEnvironment(s_authorityVariable, builder.AddParameter(AuthorityParameter).WithDescription(
                    "The OpenID Connect provider books-api trusts for bearer tokens: its issuer, an https URL (for Entra ID "
                    + "https://login.microsoftonline.com/<tenant id>/v2.0). See DEPLOYMENT.md, Tokens."))
                .WithEnvironment(s_audienceVariable, builder.AddParameter(AudienceParameter).WithDescription(
                    "The audience books-api's tokens are issued for: the API's identifier at that provider (for example api://books)."));
        }

        // The provider starts once books-api is healthy, not beside it: books-api needs it only for a write (one before
        // it answers gets a 503), and OpenIddict's start-up would otherwise compete with books-api's and MongoDB's for
        // a 2-core machine.
        identity.WaitFor(api);
        var provider = identity.GetEndpoint("http");
        var dashboardSecret = builder.Resources.OfType<ParameterResource>().Single(p => p.Name == DashboardClientSecretParameter);
        return api
            .WithReference(identity)
            .WithEnvironment(s_authorityVariable, provider)
            .WithEnvironment(s_audienceVariable, BooksApiSettings.Audience)
            .WithBooksAdminCommands(cancellationToken => DashboardTokenAsync(provider, dashboardSecret, cancellationToken), builder.Environment.IsDevelopment());
    }

    private static async Task<string> DashboardTokenAsync(EndpointReference provider, ParameterResource secret, CancellationToken cancellationToken)
    {
        var value = await secret.GetValueAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The parameter '{DashboardClientSecretParameter}' has no value.");
        return await ProviderTokens.RequestAsync(new Uri(provider.Url), DashboardClientId, value, DashboardScopes, cancellationToken).ConfigureAwait(false);
    }

    private static string DashboardClientVariable(string setting) => SettingsKey.AsEnvironmentVariable(
        $"{ProviderSettings.SectionName}:{nameof(ProviderSettings.Clients)}:{DashboardClientId}:{setting}");

    /// <summary>Keys kept per user, so tokens survive an AppHost restart (the provider's port is fixed in its launch profile).</summary>
    private static string DefaultKeyDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "books-identity", "keys");
}
