using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>How books-api learns which bearer tokens to accept, in each execution mode.</summary>
internal static class BooksApiTokens
{
    public const string SigningKeyParameter = "books-api-signing-key";
    public const string AuthorityParameter = "books-api-authority";
    public const string AudienceParameter = "books-api-audience";

    /// <summary>
    /// Run mode: a generated signing key (a persisted secret) that the dashboard commands also sign their
    /// development tokens with. Publish mode: the deployer's identity provider and audience, as parameters;
    /// no development key leaves the machine, so a deployment accepts only tokens its provider issues.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBearerTokenValidation(this IResourceBuilder<ProjectResource> api)
    {
        var builder = api.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return api
                .WithEnvironment("Authentication__Schemes__Bearer__Authority", builder.AddParameter(AuthorityParameter))
                .WithEnvironment("Authentication__Schemes__Bearer__ValidAudiences__0", builder.AddParameter(AudienceParameter));
        }

        var signingKey = builder.AddParameter(SigningKeyParameter,
            new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
        return api
            .WithEnvironment("Books__Auth__SigningKey", signingKey)
            .WithBooksAdminCommands(signingKey, builder.Environment.IsDevelopment());
    }
}
