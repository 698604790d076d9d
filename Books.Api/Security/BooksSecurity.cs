using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using MongoDB.Driver;

namespace Books.Api.Security;

/// <summary>
/// Who may write: JWT bearer tokens with the <c>books.write</c> scope; reads stay anonymous. Tokens are
/// validated against an OpenID Connect authority (<c>Authentication:Schemes:Bearer:Authority</c>, the
/// framework's own settings) or, for development, a symmetric key the AppHost generates
/// (<c>Books:Auth:SigningKey</c>). Writes are rate-limited per caller, across replicas (<see cref="SharedWriteRateLimit"/>).
/// </summary>
public static class BooksSecurity
{
    public const string WritePolicy = "books.write";
    public const string WriteScope = "books.write";
    public const string WritesPerWindowKey = "Books:RateLimit:WritesPerWindow";
    public const string WindowSecondsKey = "Books:RateLimit:WindowSeconds";
    public const int DefaultWritesPerWindow = 100;
    public const int DefaultWindowSeconds = 10;
    public const string SigningKeyKey = "Books:Auth:SigningKey";
    public const string AuthorityKey = "Authentication:Schemes:Bearer:Authority";
    public const string AudiencesKey = "Authentication:Schemes:Bearer:ValidAudiences";
    public const string DevelopmentIssuer = "books-apphost";
    public const string Audience = "books-api";
    public const int MinSigningKeyLength = 32;
    private const string SuppressAutoDefaultSchemeSwitch = "Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme";

    public static IHostApplicationBuilder AddBooksSecurity(this IHostApplicationBuilder builder)
    {
        var signingKey = builder.Configuration[SigningKeyKey];
        if (string.IsNullOrEmpty(builder.Configuration[AuthorityKey]) && string.IsNullOrEmpty(signingKey))
        {
            throw new InvalidOperationException(
                $"Books.Api cannot validate bearer tokens: set '{AuthorityKey}' to your identity provider, or (development) " +
                $"'{SigningKeyKey}' to a key of at least {MinSigningKeyLength} characters. The AppHost sets the latter.");
        }

        if (!string.IsNullOrEmpty(builder.Configuration[AuthorityKey]) && !builder.Configuration.GetSection(AudiencesKey).GetChildren().Any())
        {
            throw new InvalidOperationException(
                $"'{AuthorityKey}' is set, but not '{AudiencesKey}': name the audience your identity provider issues books-api's tokens for " +
                $"(for example {AudiencesKey}:0=api://books), or no token will be accepted.");
        }

        if (signingKey is { Length: > 0 and < MinSigningKeyLength })
        {
            throw new InvalidOperationException($"'{SigningKeyKey}' must be at least {MinSigningKeyLength} characters long.");
        }

        // Reads are anonymous, so only writes authenticate. With one scheme registered ASP.NET Core would make
        // it the default and run it on every request (a handler per request: about 3% of what a GET by id
        // allocates); without a default authenticate scheme the middleware leaves reads alone, the write policy
        // names the scheme, and challenges and forbids still answer with it.
        AppContext.SetSwitch(SuppressAutoDefaultSchemeSwitch, true);
        builder.Services.AddAuthentication(options =>
        {
            options.DefaultChallengeScheme = JwtBearerDefaults.AuthenticationScheme;
            options.DefaultForbidScheme = JwtBearerDefaults.AuthenticationScheme;
        }).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            if (!string.IsNullOrEmpty(signingKey))
            {
                options.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey));
                options.TokenValidationParameters.ValidIssuer = DevelopmentIssuer;
                options.TokenValidationParameters.ValidAudience = Audience;
            }
        });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(WritePolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => HasScope(context.User, WriteScope)));

        var permits = builder.Configuration.GetValue(WritesPerWindowKey, DefaultWritesPerWindow);
        var window = TimeSpan.FromSeconds(builder.Configuration.GetValue(WindowSecondsKey, DefaultWindowSeconds));
        if (permits < 1 || window < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"'{WritesPerWindowKey}' must be at least 1 and '{WindowSecondsKey}' at least 1 ({permits} and {window.TotalSeconds} given).");
        }

        builder.Services.AddSingleton(services =>
            services.GetRequiredService<IMongoDatabase>().GetCollection<WriteWindow>(WriteWindow.CollectionName));
        builder.Services.AddSingleton(services => new SharedWriteRateLimit(
            services.GetRequiredService<IMongoCollection<WriteWindow>>(), services.GetRequiredService<TimeProvider>(), permits, window));

        return builder;
    }

    public static WebApplication UseBooksSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Write endpoints: an authenticated caller with the write scope, within its rate limit.</summary>
    public static RouteHandlerBuilder RequireWriter(this RouteHandlerBuilder endpoint) =>
        endpoint
            .RequireAuthorization(WritePolicy)
            .AddEndpointFilter((context, next) =>
                context.HttpContext.RequestServices.GetRequiredService<SharedWriteRateLimit>().InvokeAsync(context, next))
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>The token's subject. (Identity.Name is no fallback: with inbound claims unmapped, a JWT never sets it.)</summary>
    internal static string? CallerOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirst("sub")?.Value : null;

    private static bool HasScope(ClaimsPrincipal user, string scope) =>
        user.FindAll("scope").Concat(user.FindAll("scp"))
            .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Contains(scope, StringComparer.Ordinal);
}
