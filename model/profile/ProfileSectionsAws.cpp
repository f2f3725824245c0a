// The AWS keys of a profile (issue 16): the top-level "aws", services[].cloudMap and
// services[].ecs, and load balancers of kind "elbv2" (listenerArn, targetGroups). Beside
// ProfileSections.cpp so that the other sections' readers stay as they are.
#include "ProfileSections.h"

#include <QRegularExpression>

namespace hopscope::profileread {

namespace {

const QRegularExpression &regionPattern()
{
    // eu-west-1, us-gov-west-1, ap-southeast-4, cn-north-1, us-isob-east-1
    static const QRegularExpression re(QStringLiteral("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$"));
    return re;
}

// arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:RESOURCE; captures region and resource.
const QRegularExpression &elbArnPattern()
{
    static const QRegularExpression re(
        QStringLiteral("^arn:aws(?:-[a-z]+)*:elasticloadbalancing:([a-z0-9-]+):[0-9]{12}:(\\S+)$"));
    return re;
}

const QRegularExpression &cloudMapNamePattern()
{
    static const QRegularExpression re(
        QStringLiteral("^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,125}[A-Za-z0-9_])?$"));
    return re;
}

// ECS cluster and service: a name (letters, digits, '-', '_'; at most 255) or an ECS ARN.
const QRegularExpression &ecsNamePattern()
{
    static const QRegularExpression re(QStringLiteral(
        "^([A-Za-z0-9][A-Za-z0-9_-]{0,254}|arn:aws(-[a-z]+)*:ecs:[a-z0-9-]+:[0-9]{12}:\\S+)$"));
    return re;
}

// An ELBv2 ARN of the given resource type ("listener/app/NAME/ID/ID", "targetgroup/NAME/ID");
// its region in *region.
bool checkElbArn(Reader &r, const QString &path, const QString &arn, const QString &resource,
    const QString &example, QString *region)
{
    const auto m = elbArnPattern().match(arn);
    const QString kind = m.hasMatch() ? m.captured(2).section(u'/', 0, 0) : QString();
    if (kind != resource) {
        r.problem(path,
            QStringLiteral("\"%1\" is not an ELBv2 %2 ARN (arn:aws:elasticloadbalancing:REGION:"
                           "ACCOUNT:%3)")
                .arg(arn.left(160), resource, example));
        return false;
    }
    *region = m.captured(1);
    return true;
}

// Names of keys that would hold credentials: they never belong in a profile.
bool credentialKey(const QString &key)
{
    static const QRegularExpression re(QStringLiteral("secret|accesskey|token|password"),
        QRegularExpression::CaseInsensitiveOption);
    return re.match(key).hasMatch();
}

const QString &credentialsHelp()
{
    static const QString text = QStringLiteral(
        "use \"default\" (AWS_ACCESS_KEY_ID…, then ~/.aws for AWS_PROFILE), \"profile:NAME\", or "
        "{\"accessKeyId\": \"env:NAME\", \"secretAccessKey\": \"env:NAME\"} with env:, file: or "
        "keychain: references");
    return text;
}

void readCredentialsObject(Reader &r, const QJsonObject &c, const QString &path, AwsSpec &aws)
{
    static const QStringList known = { QStringLiteral("accessKeyId"),
        QStringLiteral("secretAccessKey"), QStringLiteral("sessionToken") };
    for (auto it = c.constBegin(); it != c.constEnd(); ++it) {
        if (!known.contains(it.key())) {
            r.problem(path + u'.' + it.key(),
                QStringLiteral("unknown key; the key pair takes accessKeyId, secretAccessKey and "
                               "sessionToken (secret references)"));
        }
    }
    const auto reference = [&](const char *name, bool required) -> std::optional<SecretRef> {
        const auto text = r.string(c, path, name, required);
        if (!text) {
            return std::nullopt;
        }
        QString why;
        auto ref = SecretRef::parse(*text, &why);
        if (!ref) {
            // The value may be the key itself: never repeat it.
            r.problem(Reader::key(path, name),
                why.isEmpty() ? QStringLiteral("is not a secret reference (env:NAME, file:PATH, "
                                               "keychain:ID); credentials never go in the profile")
                              : why);
        }
        return ref;
    };
    aws.accessKeyId = reference("accessKeyId", true);
    aws.secretAccessKey = reference("secretAccessKey", true);
    aws.sessionToken = reference("sessionToken", false);
}

void readCredentials(Reader &r, const QJsonObject &ao, AwsSpec &aws)
{
    const QString path = QStringLiteral("aws.credentials");
    const QJsonValue v = ao.value(QStringLiteral("credentials"));
    if (v.isUndefined()) {
        aws.credentials = QStringLiteral("default");
        return;
    }
    if (v.isObject()) {
        readCredentialsObject(r, v.toObject(), path, aws);
        return;
    }
    if (!v.isString()) {
        r.problem(path, QStringLiteral("expected a string or an object, got ") + describe(v));
        return;
    }
    const QString text = v.toString().trimmed();
    static const QRegularExpression profileName(QStringLiteral("^profile:[A-Za-z0-9_.@+-]{1,64}$"));
    if (text == u"default" || profileName.match(text).hasMatch()) {
        aws.credentials = text;
        return;
    }
    // Never quote the value: it may be a pasted key.
    // Access key ids (AKIA…, ASIA…) and secret access keys (40 characters of base64).
    static const QRegularExpression keyShape(
        QStringLiteral("^((AKIA|ASIA)[A-Z0-9]{12,}|[A-Za-z0-9/+]{40})$"));
    if (looksLikeKeyMaterial(text) || keyShape.match(text).hasMatch()) {
        r.problem(path,
            QStringLiteral("looks like an inline AWS key; credentials never go in the profile: ")
                + credentialsHelp());
    } else {
        r.problem(path, QStringLiteral("is not a credentials source; ") + credentialsHelp());
    }
}

} // namespace

void readServiceAws(Reader &r, const QJsonObject &so, const QString &path, ServiceSpec &s)
{
    if (const auto cm = r.object(so, path, "cloudMap", false)) {
        const QString cpath = Reader::key(path, "cloudMap");
        ServiceCloudMapSpec spec;
        spec.raw = *cm;
        bool ok = true;
        if (const auto ns = r.string(*cm, cpath, "namespace", true)) {
            if (ns->size() > 1024 || ns->contains(QRegularExpression(QStringLiteral("\\s")))) {
                r.problem(Reader::key(cpath, "namespace"),
                    QStringLiteral("\"%1\" is not a Cloud Map namespace name").arg(ns->left(80)));
                ok = false;
            }
            spec.namespaceName = *ns;
        } else {
            ok = false;
        }
        if (const auto name = r.string(*cm, cpath, "service", true)) {
            if (!cloudMapNamePattern().match(*name).hasMatch()) {
                r.problem(Reader::key(cpath, "service"),
                    QStringLiteral("\"%1\" is not a Cloud Map service name (letters, digits, '_', "
                                   "'-', '.'; at most 127)")
                        .arg(name->left(80)));
                ok = false;
            }
            spec.service = *name;
        } else {
            ok = false;
        }
        if (ok) {
            s.cloudMap = spec;
        }
    }
    if (const auto ecs = r.object(so, path, "ecs", false)) {
        const QString epath = Reader::key(path, "ecs");
        ServiceEcsSpec spec;
        spec.raw = *ecs;
        bool ok = true;
        for (const char *name : { "cluster", "service" }) {
            const auto value = r.string(*ecs, epath, name, true);
            if (!value) {
                ok = false;
                continue;
            }
            if (!ecsNamePattern().match(*value).hasMatch()) {
                r.problem(Reader::key(epath, name),
                    QStringLiteral("\"%1\" is not an ECS %2 name (letters, digits, '-', '_'; at "
                                   "most 255) or ARN")
                        .arg(value->left(80), QLatin1String(name)));
                ok = false;
            }
            (qstrcmp(name, "cluster") == 0 ? spec.cluster : spec.service) = *value;
        }
        if (ok) {
            s.ecs = spec;
        }
    }
}

void readElbv2(Reader &r, const QJsonObject &lo, const QString &path, const ClusterProfile &p,
    LoadBalancerSpec &lb)
{
    for (const char *haproxyKey : { "runtime", "statsUrl", "routes", "via", "tls", "source" }) {
        if (lo.contains(QLatin1String(haproxyKey))) {
            r.problem(Reader::key(path, haproxyKey),
                QStringLiteral("does not apply to an \"elbv2\" load balancer (it is read through "
                               "the AWS API; its routes are the listener's rules)"));
        }
    }
    QString region;
    if (const auto arn = r.string(lo, path, "listenerArn", false)) {
        lb.listenerArn = arn->trimmed();
        checkElbArn(r, Reader::key(path, "listenerArn"), lb.listenerArn, QStringLiteral("listener"),
            QStringLiteral("listener/app/NAME/ID/ID"), &region);
    }
    const auto groups = r.array(lo, path, "targetGroups", true);
    if (!groups) {
        return;
    }
    const QString gpath = Reader::key(path, "targetGroups");
    if (groups->isEmpty()) {
        r.problem(gpath, QStringLiteral("is empty; name at least one target group"));
    }
    QHash<QString, QString> seen;
    for (qsizetype i = 0; i < groups->size(); ++i) {
        const QString tpath = Reader::index(gpath, i);
        const auto to = r.element(groups->at(i), tpath);
        if (!to) {
            continue;
        }
        TargetGroupSpec tg;
        tg.raw = *to;
        if (const auto arn = r.string(*to, tpath, "arn", true)) {
            tg.arn = arn->trimmed();
            QString tgRegion;
            if (checkElbArn(r, Reader::key(tpath, "arn"), tg.arn, QStringLiteral("targetgroup"),
                    QStringLiteral("targetgroup/NAME/ID"), &tgRegion)) {
                r.checkUnique(seen, tg.arn, Reader::key(tpath, "arn"),
                    QStringLiteral("target "
                                   "group %1"));
            }
        }
        if (const auto svc = r.string(*to, tpath, "service", true)) {
            tg.service = *svc;
            r.checkServiceRef(p, *svc, Reader::key(tpath, "service"));
        }
        lb.targetGroups.append(tg);
    }
}

void readAws(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto ao = r.object(root, {}, "aws", false);
    // Who needs it: the first AWS-read object, for the message when "aws" is missing.
    QString user;
    for (qsizetype i = 0; i < p.services.size() && user.isEmpty(); ++i) {
        const ServiceSpec &s = p.services.at(i);
        if (s.cloudMap || s.ecs) {
            user = Reader::key(
                Reader::index(QStringLiteral("services"), i), s.cloudMap ? "cloudMap" : "ecs");
        }
    }
    for (qsizetype i = 0; i < p.loadBalancers.size() && user.isEmpty(); ++i) {
        if (p.loadBalancers.at(i).isElbv2()) {
            user = Reader::index(QStringLiteral("loadBalancers"), i);
        }
    }
    if (!ao) {
        if (!user.isEmpty() && !root.contains(QStringLiteral("aws"))) {
            r.problem(QStringLiteral("aws"),
                QStringLiteral("is missing; %1 is read through the AWS API, so give at least "
                               "\"aws\": {\"region\": …}")
                    .arg(user));
        }
        return;
    }
    AwsSpec aws;
    aws.raw = *ao;
    for (auto it = ao->constBegin(); it != ao->constEnd(); ++it) {
        if (credentialKey(it.key())) {
            r.problem(QStringLiteral("aws.") + it.key(),
                QStringLiteral("credentials never go in the profile; \"credentials\": ")
                    + credentialsHelp());
        }
    }
    if (const auto region = r.string(*ao, QStringLiteral("aws"), "region", true)) {
        if (!regionPattern().match(*region).hasMatch()) {
            r.problem(QStringLiteral("aws.region"),
                QStringLiteral("\"%1\" is not an AWS region name (e.g. eu-west-1)")
                    .arg(region->left(40)));
        }
        aws.region = *region;
    }
    readCredentials(r, *ao, aws);
    if (const auto url = r.httpUrl(*ao, QStringLiteral("aws"), "endpointUrl", false)) {
        aws.endpointUrl = *url;
    }
    // ARNs name their region; one outside aws.region is a copy-paste slip that every call would
    // answer with "not found".
    for (qsizetype i = 0; !aws.region.isEmpty() && i < p.loadBalancers.size(); ++i) {
        const LoadBalancerSpec &lb = p.loadBalancers.at(i);
        const QString lpath = Reader::index(QStringLiteral("loadBalancers"), i);
        const auto check = [&](const QString &arn, const QString &where) {
            const auto m = elbArnPattern().match(arn);
            if (m.hasMatch() && m.captured(1) != aws.region) {
                r.problem(where,
                    QStringLiteral("is in region %1 but aws.region is %2")
                        .arg(m.captured(1), aws.region));
            }
        };
        if (!lb.isElbv2()) {
            continue;
        }
        check(lb.listenerArn, Reader::key(lpath, "listenerArn"));
        for (qsizetype j = 0; j < lb.targetGroups.size(); ++j) {
            check(lb.targetGroups.at(j).arn,
                Reader::key(Reader::index(Reader::key(lpath, "targetGroups"), j), "arn"));
        }
    }
    p.aws = aws;
}

} // namespace hopscope::profileread
