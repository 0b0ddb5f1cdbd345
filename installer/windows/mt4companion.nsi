; MT4 Companion - Windows installer (NSIS 3, Modern UI 2).
;
; Per-user install without admin rights into %LOCALAPPDATA%\Programs\MT4 Companion.
; installer/build.py --nsis compiles it against the PyInstaller bundle:
;   makensis -WX -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DVERSION_QUAD=0.1.0.0
;            -DBUNDLE_DIR=installer\dist\MT4Companion -DOUTFILE=installer\dist\Setup-0.1.0.exe
;            -DAPP_ICON=installer\build\mt4companion\mt4-companion.ico
;            installer\windows\mt4companion.nsi
;
; What it does:
; - copies the one-folder bundle (mt4-companion.exe, mt4-gateway.exe, _internal\);
; - Start menu shortcut; optional desktop shortcut; optional "start with Windows" (HKCU Run key,
;   the same value desktop/autostart.py writes, so the app's setting and this agree);
; - finish page: "Install the EA into my MetaTrader terminals" runs
;   `mt4-gateway install-ea --terminal <dir>` for every MT4 terminal `mt4-gateway terminals --json`
;   lists; "Start MT4 Companion now";
; - upgrades in place: stops the running app, replaces the program files; settings, the local
;   token, logs and the outbox live in %LOCALAPPDATA%\MT4Companion (platformdirs), never here,
;   and are never touched by the installer or the uninstaller;
; - the uninstaller stops the app first and removes our EA from the terminals only when the
;   trader ticks that component (unticked by default, so a silent uninstall keeps it).

Unicode true
ManifestDPIAware true
RequestExecutionLevel user

; The release uses solid LZMA (smallest download). build.py passes -DCOMPRESSOR=zlib on Linux,
; where compiling only proves the script valid and LZMA over the bundle takes minutes.
!ifndef COMPRESSOR
  !define COMPRESSOR "/SOLID lzma"
!endif
SetCompressor ${COMPRESSOR}

!ifndef VERSION
  !error "pass -DVERSION=<x.y.z> (installer/build.py does)"
!endif
!ifndef VERSION_QUAD
  !error "pass -DVERSION_QUAD=<a.b.c.d> (installer/build.py does)"
!endif
!ifndef BUNDLE_DIR
  !error "pass -DBUNDLE_DIR=<PyInstaller dist folder> (installer/build.py does)"
!endif
!ifndef OUTFILE
  !define OUTFILE "Setup-${VERSION}.exe"
!endif
!ifndef APP_ICON
  !error "pass -DAPP_ICON=<.ico> (installer/build.py does)"
!endif

!define APP_NAME "MT4 Companion"
!define APP_EXE "mt4-companion.exe"
!define GATEWAY_EXE "mt4-gateway.exe"
!define UNINSTALLER "Uninstall MT4 Companion.exe"
!define PUBLISHER "MT4 Companion"
!define APP_KEY "Software\MT4 Companion"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\MT4Companion"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUN_VALUE "MT4 Companion"  ; desktop/autostart.py VALUE_NAME
!define USER_DATA "$LOCALAPPDATA\MT4Companion"  ; platformdirs: settings, token, logs, outbox

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"
!include "WinVer.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${APP_KEY}" "InstallDir"
BrandingText "${APP_NAME} ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VERSION_QUAD}"
VIFileVersion "${VERSION_QUAD}"
VIAddVersionKey /LANG=1033 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APP_NAME} ${VERSION} Setup"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "Copyright (c) ${PUBLISHER}"

Var EaSeen    ; MT4 terminals found
Var EaOk      ; ... where the EA command succeeded
Var EaFailed  ; ... where it did not
Var Upgrade   ; 1 when an earlier install was found

; --------------------------------------------------------------------------- pages

!define MUI_ICON "${APP_ICON}"
!define MUI_UNICON "${APP_ICON}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "This installs ${APP_NAME} ${VERSION} for your Windows account only \
  (no administrator rights needed).$\r$\n$\r$\nIf ${APP_NAME} is running it is closed first. \
  Your settings, logs and unsent messages are kept.$\r$\n$\r$\nClick Next to continue."
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES

!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME} now"
; The "readme" checkbox is our EA option; FinishPageLeave acts on it before the app starts.
!define MUI_FINISHPAGE_SHOWREADME ""
!define MUI_FINISHPAGE_SHOWREADME_TEXT "Install the EA into my MetaTrader terminals"
!define MUI_FINISHPAGE_SHOWREADME_FUNCTION FinishPageNoOp
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE FinishPageLeave
!insertmacro MUI_PAGE_FINISH

!define MUI_UNCONFIRMPAGE_TEXT_TOP "${APP_NAME} will be closed and removed from your computer. \
  Your settings, logs and unsent messages in ${USER_DATA} are kept."
!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_TEXT_TOP "Tick the EA box to also remove the MT4 Companion EA from \
  your MetaTrader 4 terminals."
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; --------------------------------------------------------------------------- helpers

; Decode the JSON string escapes Python's json.dumps writes (\\ \" \/ \uXXXX, ensure_ascii).
; Stack in: escaped text; stack out: the text. A surrogate pair becomes two UTF-16 units, which
; is what NSIS' Unicode strings hold.
!macro JSON_UNESCAPE_FUNC UN
Function ${UN}JsonUnescape
  Exch $0      ; input
  Push $1      ; output
  Push $2      ; index
  Push $3      ; character
  Push $4      ; hex digits
  StrCpy $1 ""
  StrCpy $2 0
  ${Do}
    StrCpy $3 $0 1 $2
    ${If} $3 == ""
      ${Break}
    ${EndIf}
    IntOp $2 $2 + 1
    ${If} $3 == "\"
      StrCpy $3 $0 1 $2
      IntOp $2 $2 + 1
      ${If} $3 == "u"
        StrCpy $4 $0 4 $2
        IntOp $2 $2 + 4
        IntFmt $3 "%c" "0x$4"
      ${ElseIf} $3 == "t"
        StrCpy $3 "$\t"
      ${ElseIf} $3 == "n"
        StrCpy $3 "$\n"
      ${ElseIf} $3 == "r"
        StrCpy $3 "$\r"
      ${EndIf}
    ${EndIf}
    StrCpy $1 "$1$3"
  ${Loop}
  StrCpy $0 $1
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd
!macroend
!insertmacro JSON_UNESCAPE_FUNC ""
!insertmacro JSON_UNESCAPE_FUNC "un."

; Run `mt4-gateway <verb> --terminal <dir>` for every supported (MT4) terminal that
; `mt4-gateway terminals --json` lists. Stack in: the verb (install-ea / uninstall-ea).
; Sets $EaSeen, $EaOk, $EaFailed. The JSON is read line by line: json.dumps(indent=2) puts one
; key per line, "data_folder" before "supported" (tests/installer checks that contract).
!macro FOR_EACH_TERMINAL_FUNC UN
Function ${UN}ForEachTerminal
  Exch $R0     ; verb
  Push $R1     ; file handle
  Push $R2     ; line
  Push $R3     ; data folder of the terminal being read
  Push $R4     ; exit code
  Push $R5     ; scratch
  StrCpy $EaSeen 0
  StrCpy $EaOk 0
  StrCpy $EaFailed 0
  InitPluginsDir
  Delete "$PLUGINSDIR\terminals.json"
  nsExec::Exec '"$SYSDIR\cmd.exe" /S /C ""$INSTDIR\${GATEWAY_EXE}" terminals --json > "$PLUGINSDIR\terminals.json""'
  Pop $R4
  ${If} $R4 != 0
    DetailPrint "mt4-gateway terminals failed (exit $R4): no terminal was changed"
    IntOp $EaFailed $EaFailed + 1
    Goto done
  ${EndIf}
  ClearErrors
  FileOpen $R1 "$PLUGINSDIR\terminals.json" r
  ${If} ${Errors}
    DetailPrint "cannot read the terminal list"
    IntOp $EaFailed $EaFailed + 1
    Goto done
  ${EndIf}
  StrCpy $R3 ""
  ${Do}
    ClearErrors
    FileRead $R1 $R2
    ${If} ${Errors}
      ${Break}
    ${EndIf}
    ; trim leading blanks and the line end
    ${Do}
      StrCpy $R5 $R2 1
      ${If} $R5 == " "
      ${OrIf} $R5 == "$\t"
        StrCpy $R2 $R2 "" 1
      ${Else}
        ${Break}
      ${EndIf}
    ${Loop}
    ${Do}
      StrCpy $R5 $R2 1 -1
      ${If} $R5 == "$\r"
      ${OrIf} $R5 == "$\n"
        StrCpy $R2 $R2 -1
      ${Else}
        ${Break}
      ${EndIf}
    ${Loop}
    StrCpy $R5 $R2 16
    ${If} $R5 == '"data_folder": "'
      StrCpy $R2 $R2 "" 16      ; <escaped path>",
      StrCpy $R5 $R2 "" -2
      ${If} $R5 == '",'
        StrCpy $R2 $R2 -2
      ${Else}
        StrCpy $R2 $R2 -1       ; <escaped path>"
      ${EndIf}
      Push $R2
      Call ${UN}JsonUnescape
      Pop $R3
    ${ElseIf} $R2 == '"supported": true,'
    ${OrIf} $R2 == '"supported": true'
      ${If} $R3 != ""
        IntOp $EaSeen $EaSeen + 1
        DetailPrint "$R0: $R3"
        nsExec::ExecToLog '"$INSTDIR\${GATEWAY_EXE}" $R0 --terminal "$R3"'
        Pop $R4
        ${If} $R4 == 0
          IntOp $EaOk $EaOk + 1
        ${Else}
          IntOp $EaFailed $EaFailed + 1
          DetailPrint "$R0 failed for $R3 (exit $R4)"
        ${EndIf}
      ${EndIf}
      StrCpy $R3 ""
    ${ElseIf} $R2 == '"supported": false,'
    ${OrIf} $R2 == '"supported": false'
      StrCpy $R3 ""             ; MT5: not ours
    ${EndIf}
  ${Loop}
  FileClose $R1
  done:
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Pop $R0
FunctionEnd
!macroend
!insertmacro FOR_EACH_TERMINAL_FUNC ""
!insertmacro FOR_EACH_TERMINAL_FUNC "un."

; Stack out: 1 if this user runs mt4-companion.exe, else 0. tasklist prints a CSV row
; ("mt4-companion.exe","1234",...) per match and an INFO line (localized) otherwise.
!macro IS_APP_RUNNING_FUNC UN
Function ${UN}IsAppRunning
  Push $0
  Push $1
  ReadEnvStr $1 "USERNAME"
  nsExec::ExecToStack '"$SYSDIR\tasklist.exe" /NH /FO CSV /FI "IMAGENAME eq ${APP_EXE}" /FI "USERNAME eq $1"'
  Pop $0  ; exit code
  Pop $1  ; output
  StrCpy $1 $1 1
  ${If} $1 == '"'
    StrCpy $0 1
  ${Else}
    StrCpy $0 0
  ${EndIf}
  Pop $1
  Exch $0
FunctionEnd
!macroend
!insertmacro IS_APP_RUNNING_FUNC ""
!insertmacro IS_APP_RUNNING_FUNC "un."

; Close a running MT4 Companion before its files are replaced or removed: ask it to quit
; (`mt4-companion --quit`, once the app has that flag; older builds exit at once on the unknown
; flag), ask its windows to close, and end it after ~5 s. The outbox is SQLite and survives.
; Headless gateways of this user started from this folder hold its files too: they are ended.
!macro STOP_RUNNING_APP_FUNC UN
Function ${UN}StopRunningApp
  Push $0
  Push $1
  Push $2
  ReadEnvStr $2 "USERNAME"
  Call ${UN}IsAppRunning
  Pop $0
  ${If} $0 == 1
    DetailPrint "Closing ${APP_NAME}..."
    ${If} ${FileExists} "$INSTDIR\${APP_EXE}"
      nsExec::Exec /TIMEOUT=15000 '"$INSTDIR\${APP_EXE}" --quit'
      Pop $0
    ${EndIf}
    nsExec::Exec '"$SYSDIR\taskkill.exe" /IM ${APP_EXE} /FI "USERNAME eq $2"'
    Pop $0
    StrCpy $1 0
    ${Do}
      Call ${UN}IsAppRunning
      Pop $0
      ${If} $0 == 0
        ${Break}
      ${EndIf}
      ${If} $1 >= 16
        DetailPrint "${APP_NAME} did not close: ending it"
        nsExec::Exec '"$SYSDIR\taskkill.exe" /F /IM ${APP_EXE} /FI "USERNAME eq $2"'
        Pop $0
        Sleep 500
        ${Break}
      ${EndIf}
      Sleep 300
      IntOp $1 $1 + 1
    ${Loop}
  ${EndIf}
  nsExec::Exec '"$SYSDIR\taskkill.exe" /F /IM ${GATEWAY_EXE} /FI "USERNAME eq $2"'
  Pop $0
  Pop $2
  Pop $1
  Pop $0
FunctionEnd
!macroend
!insertmacro STOP_RUNNING_APP_FUNC ""
!insertmacro STOP_RUNNING_APP_FUNC "un."

; --------------------------------------------------------------------------- install

Section "${APP_NAME} (required)" SecApp
  SectionIn RO
  SetShellVarContext current
  Call StopRunningApp
  SetOutPath "$INSTDIR"
  ; Upgrade in place: the previous version's program files go, user data is elsewhere.
  RMDir /r "$INSTDIR\_internal"
  File /r "${BUNDLE_DIR}\*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  WriteRegStr HKCU "${APP_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${APP_KEY}" "Version" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Start menu shortcut" SecStartMenu
  SetShellVarContext current
  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  SetShellVarContext current
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
SectionEnd

Section "Start with Windows" SecAutostart
  ; Same value and command line as the app's own setting (desktop/autostart.py).
  WriteRegStr HKCU "${RUN_KEY}" "${RUN_VALUE}" '"$INSTDIR\${APP_EXE}" --minimized'
SectionEnd

Section "-Apply choices" SecApply
  ; An unticked option is a choice too: undo what an earlier install (or the app) set.
  SetShellVarContext current
  ${IfNot} ${SectionIsSelected} ${SecAutostart}
    DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"
  ${EndIf}
  ${IfNot} ${SectionIsSelected} ${SecDesktop}
    Delete "$DESKTOP\${APP_NAME}.lnk"
  ${EndIf}
  ${IfNot} ${SectionIsSelected} ${SecStartMenu}
    Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  ${EndIf}
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "The tray app and the headless gateway."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecStartMenu} "A ${APP_NAME} entry in the Start menu."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "A ${APP_NAME} icon on the desktop."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecAutostart} "Start ${APP_NAME} in the tray when you \
    sign in to Windows, so your terminals stay connected. You can change this later in its \
    settings."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  SetShellVarContext current
  ${IfNot} ${AtLeastWin10}
    MessageBox MB_OK|MB_ICONSTOP "${APP_NAME} needs Windows 10 or later." /SD IDOK
    Abort
  ${EndIf}
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${APP_NAME} needs 64-bit Windows." /SD IDOK
    Abort
  ${EndIf}
  StrCpy $Upgrade 0
  ReadRegStr $0 HKCU "${APP_KEY}" "InstallDir"
  ${If} $0 != ""
    StrCpy $Upgrade 1
    ; Keep the trader's earlier choices as the defaults of this upgrade.
    ReadRegStr $1 HKCU "${RUN_KEY}" "${RUN_VALUE}"
    ${If} $1 == ""
      !insertmacro UnselectSection ${SecAutostart}
    ${EndIf}
    ${If} ${FileExists} "$DESKTOP\${APP_NAME}.lnk"
      !insertmacro SelectSection ${SecDesktop}
    ${EndIf}
    ${IfNot} ${FileExists} "$SMPROGRAMS\${APP_NAME}.lnk"
      !insertmacro UnselectSection ${SecStartMenu}
    ${EndIf}
  ${EndIf}
FunctionEnd

Function FinishPageNoOp
FunctionEnd

Function FinishPageLeave
  ${NSD_GetState} $mui.FinishPage.ShowReadme $0
  ${If} $0 == ${BST_CHECKED}
    Call InstallEaIntoTerminals
  ${EndIf}
FunctionEnd

Function InstallEaIntoTerminals
  Banner::show "Installing the EA into your MetaTrader 4 terminals..."
  Push "install-ea"
  Call ForEachTerminal
  Banner::destroy
  ${If} $EaSeen == 0
  ${AndIf} $EaFailed == 0
    MessageBox MB_OK|MB_ICONINFORMATION "No MetaTrader 4 terminal was found on this computer.$\r$\n\
      After installing MetaTrader 4, add the EA from the Terminals page of ${APP_NAME}." /SD IDOK
  ${ElseIf} $EaFailed == 0
    MessageBox MB_OK|MB_ICONINFORMATION "The EA is installed in $EaOk MetaTrader 4 terminal(s).$\r$\n\
      In each terminal, attach MT4Companion to a chart (${APP_NAME} can do it for you from its \
      Terminals page)." /SD IDOK
  ${Else}
    MessageBox MB_OK|MB_ICONEXCLAMATION "The EA is installed in $EaOk of $EaSeen MetaTrader 4 \
      terminal(s); $EaFailed could not be updated (is the terminal's folder read-only?).$\r$\n\
      The Terminals page of ${APP_NAME} shows what went wrong and can retry." /SD IDOK
  ${EndIf}
FunctionEnd

; --------------------------------------------------------------------------- uninstall

Section "-un.Close the app" SecUnStop
  SetShellVarContext current
  Call un.StopRunningApp
SectionEnd

Section /o "un.Remove the MT4 Companion EA from my MetaTrader terminals" SecUnEa
  ; Before the files go: it needs mt4-gateway.exe.
  ${If} ${FileExists} "$INSTDIR\${GATEWAY_EXE}"
    Push "uninstall-ea"
    Call un.ForEachTerminal
    DetailPrint "EA removed from $EaOk of $EaSeen MetaTrader 4 terminal(s); $EaFailed problem(s)"
  ${EndIf}
SectionEnd

Section "un.${APP_NAME}" SecUnApp
  SectionIn RO
  SetShellVarContext current
  DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  ; Only our files: the folder may have been chosen by hand and hold other things.
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\${GATEWAY_EXE}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "${APP_KEY}"
  ; ${USER_DATA} (settings, token, logs, outbox) stays.
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecUnEa} "Also delete the MT4Companion EA files from every \
    MetaTrader 4 terminal on this computer. Files you changed are kept."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecUnApp} "The program files, shortcuts and the start with \
    Windows entry."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function un.onInit
  SetShellVarContext current
FunctionEnd
