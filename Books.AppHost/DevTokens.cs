using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aspire.Hosting;

/// <summary>
/// Development bearer tokens for books-api, signed with the key the AppHost generates and hands to the
/// API (<c>Books__Auth__SigningKey</c>). Production validates tokens from a real identity provider instead.
/// </summary>
internal static class DevTokens
{
    public const string Issuer = "books-apphost";
    public const string Audience = "books-api";
    public const string WriteScope = "books.write";

    public static string Create(string signingKey, string subject, TimeSpan lifetime, params string[] scopes)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject), new Claim("scope", string.Join(' ', scopes))]),
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now,
            Expires = now.Add(lifetime),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
