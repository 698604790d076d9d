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
