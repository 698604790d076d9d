using System.Security.Claims;
using System.Text;
using Aspire.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Books.Tests.Infrastructure;

/// <summary>Development tokens, made the way the AppHost makes them for its dashboard commands.</summary>
public static class TestTokens
{
    public static string Writer(string signingKey, string? subject = null) =>
        DevTokens.Create(signingKey, subject ?? $"test-{Guid.NewGuid():N}", TimeSpan.FromMinutes(30), DevTokens.WriteScope);

    public static string Reader(string signingKey) =>
        DevTokens.Create(signingKey, $"reader-{Guid.NewGuid():N}", TimeSpan.FromMinutes(30));

    /// <summary>A token signed with <paramref name="signingKey"/> whose claims and lifetime the caller picks; by default
    /// a valid writer's. <paramref name="lifetime"/> null leaves out <c>exp</c>.</summary>
    public static string Custom(
        string signingKey,
        string issuer = DevTokens.Issuer,
        string audience = DevTokens.Audience,
        IEnumerable<Claim>? claims = null,
        DateTime? notBefore = null,
        TimeSpan? lifetime = null,
        bool withoutExpiry = false)
    {
        var now = DateTime.UtcNow;
        var start = notBefore ?? now.AddMinutes(-1);
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims ?? [new Claim("sub", $"custom-{Guid.NewGuid():N}"), new Claim("scope", DevTokens.WriteScope)]),
            NotBefore = start,
            IssuedAt = start,
            Expires = withoutExpiry ? null : start.Add(lifetime ?? TimeSpan.FromMinutes(30)),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with a writer's claims: what a forger would send.</summary>
    public static string Unsigned()
    {
        static string Part(string json) => Base64UrlEncoder.Encode(json);
        var exp = DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeSeconds();
        return $"{Part("""{"alg":"none","typ":"JWT"}""")}.{Part($$"""{"iss":"{{DevTokens.Issuer}}","aud":"{{DevTokens.Audience}}","sub":"forger","scope":"{{DevTokens.WriteScope}}","exp":{{exp}}}""")}.";
    }

    public static string Expired(string signingKey)
    {
        var issued = DateTime.UtcNow.AddHours(-2);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = DevTokens.Issuer,
            Audience = DevTokens.Audience,
            Subject = new ClaimsIdentity([new Claim("sub", "expired"), new Claim("scope", DevTokens.WriteScope)]),
            NotBefore = issued,
            IssuedAt = issued,
            Expires = issued.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
