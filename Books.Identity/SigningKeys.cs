using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Books.Identity;

/// <summary>
/// The provider's signing keys: every <c>*.pem</c> file of the key folder, newest name first. The first one
/// signs; all of them are published in the JWKS, so a key added beside the old ones (a rotation) signs new
/// tokens after a restart while tokens signed with the old key stay valid until they expire.
/// </summary>
public static class SigningKeys
{
    /// <summary>Loads the folder's keys; an empty or missing folder gets one new key first.</summary>
    public static IReadOnlyList<SecurityKey> LoadOrCreate(string directory, ILogger logger)
    {
        Directory.CreateDirectory(directory);
        if (!Directory.EnumerateFiles(directory, "*.pem").Any())
        {
            var path = Create(directory, DateTimeOffset.UtcNow);
            logger.LogInformation("No signing key in {KeyDirectory}; created {KeyFile}.", directory, Path.GetFileName(path));
        }

        return Directory.EnumerateFiles(directory, "*.pem")
            .OrderByDescending(Path.GetFileName, StringComparer.Ordinal)
            .Select(Load)
            .ToList();
    }

    /// <summary>Writes a new RSA key named for its creation time, readable by its owner only.</summary>
    public static string Create(string directory, DateTimeOffset now)
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(directory, $"{now:yyyyMMdd'T'HHmmssfff'Z'}.pem");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new StreamWriter(path, options);
        file.Write(rsa.ExportPkcs8PrivateKeyPem());
        return path;
    }

    private static RsaSecurityKey Load(string path)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException error)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"The signing key file '{Path.GetFileName(path)}' in the key folder is not a PEM-encoded RSA private key.", error);
        }

        var key = new RsaSecurityKey(rsa);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }
}
